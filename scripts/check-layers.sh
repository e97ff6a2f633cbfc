#!/bin/sh
# Fail if a source file includes a header its layer may not use (README, "Code layout").
#   sh scripts/check-layers.sh [SRC_DIR]        (default: src)
# Every project include is written from src/ ("common/util.h"). A folder may include its own
# headers and those of the layers below it:
#
#   common                    nothing else
#   tpm_cmds                  common
#   eventlog                  common tpm_cmds
#   rtmr_map                  common
#   attest                    common tpm_cmds eventlog rtmr_map
#   daemon                    common tpm_cmds eventlog rtmr_map attest (daemon.c: transport)
#   daemon/transport          common tpm_cmds, and daemon/service.h (its one entry point)
#   tool                      common tpm_cmds eventlog rtmr_map attest
#
# and the libtpms engine (daemon/engine.h) is the service's alone: only the files that run
# commands under its lock include it (engine_users below). The service's private header
# (daemon/service_priv.h) is for the service's own files.
set -eu
src=${1:-src}
bad=0

allowed() { # folder -> space-separated allowed include prefixes
	case $1 in
	common) echo "common/" ;;
	tpm_cmds) echo "common/ tpm_cmds/" ;;
	eventlog) echo "common/ tpm_cmds/ eventlog/" ;;
	rtmr_map) echo "common/ rtmr_map/" ;;
	attest) echo "common/ tpm_cmds/ eventlog/ rtmr_map/ attest/ intel_sgx_root_ca.inc" ;;
	daemon) echo "common/ tpm_cmds/ eventlog/ rtmr_map/ attest/ daemon/" ;;
	daemon/transport) echo "common/ tpm_cmds/ daemon/transport/ daemon/service.h" ;;
	tool) echo "common/ tpm_cmds/ eventlog/ rtmr_map/ attest/ tool/" ;;
	*) echo "" ;;
	esac
}

engine_users=" daemon/engine.c daemon/service.c daemon/service_ctrl.c daemon/tpm_setup.c "
# restart.c: at start, under the lock, the PCRs restored from the logs or the markers
engine_users="$engine_users daemon/restart.c "
# identity.c: the EK and AK at start, ReadPublic/CreatePrimary/EvictControl
engine_users="$engine_users daemon/identity.c "

for f in $(find "$src" -name '*.[ch]' | sort); do
	rel=${f#"$src"/}
	folder=${rel%/*}
	[ "$folder" = "$rel" ] && { echo "$f: source files live in a layer folder"; bad=1; continue; }
	ok=$(allowed "$folder")
	if [ -z "$ok" ]; then
		echo "$f: folder $folder is not a known layer (scripts/check-layers.sh)"
		bad=1
		continue
	fi
	[ "$rel" = daemon/daemon.c ] && ok="$ok daemon/transport/"
	for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
		hit=0
		for p in $ok; do
			case $inc in "$p"*) hit=1 ;; esac
		done
		# the transports sit above the rest of the daemon: only daemon.c composes them
		case $folder:$inc in daemon:daemon/transport/*)
			[ "$rel" = daemon/daemon.c ] || hit=0 ;;
		esac
		if [ $hit -eq 0 ]; then
			echo "$f: includes \"$inc\", which layer $folder may not use"
			bad=1
		fi
		if [ "$inc" = daemon/service_priv.h ]; then
			case $rel in daemon/service.c | daemon/service_ctrl.c) ;; *)
				echo "$f: includes daemon/service_priv.h: struct service is opaque"
				bad=1 ;;
			esac
		fi
		if [ "$inc" = daemon/engine.h ]; then
			case $engine_users in *" $rel "*) ;; *)
				echo "$f: includes daemon/engine.h: only the service runs engine commands"
				bad=1 ;;
			esac
		fi
	done
done
[ $bad -eq 0 ] || { echo "layer check failed (README, \"Code layout\")"; exit 1; }
