#!/usr/bin/env bash
# start <name> <http port> <grpc port> <artifact dir> <quarkus-app dir> <log dir>: starts one
# Modelship inference server in the background (one ONNX Runtime thread, loopback only), writes
# its pid to <log dir>/<name>.pid and waits until /v2/health/ready answers 200 (90 s at most).
# stop <log dir>: stops every server whose pid file is in <log dir> (SIGTERM, then waits).
set -u
cmd="$1"; shift
case "$cmd" in
start)
    name="$1" http="$2" grpc="$3" path="$4" app="$5" logs="$6"
    mkdir -p "$logs"
    java -XX:ActiveProcessorCount=1 -Xmx1g \
        -Dquarkus.http.port="$http" -Dquarkus.grpc.server.port="$grpc" \
        -Dquarkus.http.host=127.0.0.1 -Dquarkus.grpc.server.host=127.0.0.1 \
        -Dmodelship.model.path="$path" -Dmodelship.model.name="$name" \
        -Dmodelship.runtime.intra-op-threads=1 -Dmodelship.shutdown.drain=0s \
        -jar "$app/quarkus-run.jar" >"$logs/$name.log" 2>&1 &
    echo $! >"$logs/$name.pid"
    for _ in $(seq 1 90); do
        if curl -fs -o /dev/null "http://127.0.0.1:$http/v2/health/ready"; then
            echo "server $name ready on 127.0.0.1:$http (pid $(cat "$logs/$name.pid"))"; exit 0
        fi
        if ! kill -0 "$(cat "$logs/$name.pid")" 2>/dev/null; then
            echo "server $name exited:"; tail -20 "$logs/$name.log"; exit 1
        fi
        sleep 1
    done
    echo "server $name not ready after 90 s"; tail -20 "$logs/$name.log"; exit 1
    ;;
stop)
    logs="$1"
    for f in "$logs"/*.pid; do
        [ -e "$f" ] || continue
        pid="$(cat "$f")"
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid"
            for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
        fi
        rm -f "$f"
    done
    ;;
esac
