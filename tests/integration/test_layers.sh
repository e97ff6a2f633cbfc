#!/bin/sh
# scripts/check-layers.sh (run by make before anything compiles) accepts the tree and fails,
# naming the file, on each kind of include that crosses the layers the wrong way.
. tests/integration/lib.sh
t_init layers

check "the tree follows the layer rules" sh scripts/check-layers.sh src

# plant FILE INCLUDE: a copy of src/ where FILE includes INCLUDE; the check must fail on it
plant() {
	rm -rf "$T_DIR/src"
	cp -r src "$T_DIR/src"
	printf '#include "%s"\n' "$2" >>"$T_DIR/src/$1"
	if sh scripts/check-layers.sh "$T_DIR/src" >"$T_DIR/out" 2>&1; then
		fail "$1 including $2 is refused"
	elif grep -q "$1" "$T_DIR/out"; then
		pass "$1 including $2 is refused"
	else
		fail "$1 including $2 is refused, naming the file"
		sed 's/^/    | /' "$T_DIR/out"
	fi
}

plant tool/tool_main.c daemon/service.h            # the tool reaching into the daemon
plant common/util.h eventlog/eventlog.h             # a lower layer including a higher one
plant tpm_cmds/pcr_cmds.c daemon/mirror.h
plant rtmr_map/rtmr_sim.c attest/evidence.h
plant daemon/transport/ctrl_channel.c daemon/engine.h  # the control channel's old side door
plant daemon/daemon.c daemon/engine.h               # only the service runs engine commands
plant daemon/ima_bridge.c daemon/service_priv.h     # struct service is opaque
plant daemon/mirror.c daemon/transport/transport_socket.h
t_done
