#!/usr/bin/env python3
"""deploy/: the compose file and the Kubernetes manifests describe a working scale-out, and every ferry
command they run is accepted by the real binary and becomes healthy on the throwaway PostgreSQL cluster.

Usage: manifests_test.py FERRY_BIN   (FERRY_TEST_PG_STATE names a running cluster, as under ctest)
"""
import os
import pathlib
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cluster_url():
    state = os.environ.get("FERRY_TEST_PG_STATE")
    if not state:
        sys.exit("FERRY_TEST_PG_STATE is not set (run under ctest's postgres fixture)")
    return (pathlib.Path(state) / "url").read_text().splitlines()[0]


def database_url(base, name):
    admin = subprocess.run(["psql", base, "-qAtc", f"CREATE DATABASE {name}"], capture_output=True, text=True)
    if admin.returncode != 0:
        sys.exit("cannot create a database: " + admin.stderr)
    return base.rsplit("/", 1)[0] + "/" + name


def compose_commands():
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    services = compose["services"]
    check("postgres" in services, "compose has a postgres service")
    serves = [s for s in services.values() if s.get("command", [None])[0] == "serve"]
    workers = [s for s in services.values() if s.get("command", [None])[0] == "worker"]
    check(len(serves) == 2, f"compose runs 2 serve services, found {len(serves)}")
    worker_count = sum(s.get("deploy", {}).get("replicas", 1) for s in workers)
    check(worker_count == 2, f"compose runs 2 worker processes, found {worker_count}")
    for service in serves + workers:
        check("FERRY_MASTER_KEY" in service.get("environment", {}), "compose passes FERRY_MASTER_KEY")
    return [s["command"] for s in serves + workers]


def kubernetes_commands():
    documents = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        documents += [d for d in yaml.safe_load_all(path.read_text()) if d]
    deployments = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Deployment"}
    check(set(deployments) == {"ferry-serve", "ferry-worker"}, f"Deployments: {sorted(deployments)}")
    secrets_defined = {d["metadata"]["name"] for d in documents if d["kind"] == "Secret"}
    commands = []
    for name, deployment in deployments.items():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        for probe in ("readinessProbe", "livenessProbe"):
            check(container.get(probe, {}).get("httpGet", {}).get("path") == "/healthz",
                  f"{name} has a {probe} on /healthz")
        refs = [e["secretRef"]["name"] for e in container.get("envFrom", []) if "secretRef" in e]
        check(refs and all(r in secrets_defined for r in refs), f"{name} takes its environment from a Secret")
        commands.append(container["args"])
    return commands


def listen_port(command):
    return int(command[command.index("--listen") + 1].rsplit(":", 1)[1]) if "--listen" in command else None


def run_healthy(ferry, command, store_url, data_root, env):
    """Starts `command` as written, with the store, data root and port made local; waits for /healthz."""
    port = free_port()
    args = []
    for arg in command:
        if arg.startswith("postgres") or arg == "$(FERRY_DB)":
            arg = store_url
        elif arg.startswith("0.0.0.0:"):
            arg = f"127.0.0.1:{port}"
        elif arg.startswith("/data"):
            arg = str(data_root / arg.lstrip("/"))
        args.append(arg)
    check(listen_port(command) is not None, f"{command[0]} listens for its probes")
    process = subprocess.Popen([ferry] + args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
    healthy = False
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                healthy = response.status == 200
                break
        except OSError:
            time.sleep(0.1)
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            code = "killed"
    else:
        code = process.returncode
    stderr = process.stderr.read()
    check(healthy, f"`ferry {' '.join(args)}` became healthy (exit {code}): {stderr[-500:]}")
    check(code == 0, f"`ferry {command[0]}` stopped cleanly on SIGTERM (exit {code})")


def main():
    ferry = sys.argv[1]
    commands = compose_commands() + kubernetes_commands()
    base = cluster_url()
    store_url = database_url(base, "ferry_deploy_" + secrets.token_hex(4))
    env = dict(os.environ, FERRY_MASTER_KEY=secrets.token_hex(32))
    with tempfile.TemporaryDirectory() as tmp:
        for command in commands:
            run_healthy(ferry, command, store_url, pathlib.Path(tmp), env)
    print(f"{len(commands)} deploy commands checked, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
