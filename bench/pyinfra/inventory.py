# The benchmark fleet for pyinfra: host galaxy-00N at 127.0.0.(F + N - 1), as the example's
# inventory script (inventory/galaxy.sh) describes it. BENCH_FLEET is the fleet directory made by
# bench/fleet (port, first, count, client_key, known_hosts).
import os

_fleet = os.environ["BENCH_FLEET"]


def _read(name):
    with open(os.path.join(_fleet, name)) as f:
        return f.read().strip()


_port = int(_read("port"))
_first = int(_read("first"))
_count = int(_read("count"))

galaxy = []
for _i in range(1, _count + 1):
    _address = f"127.0.0.{_first + _i - 1}"
    galaxy.append(
        (
            f"galaxy-{_i:03d}",
            {
                "ssh_hostname": _address,
                "ssh_port": _port,
                "ssh_user": "root",
                "ssh_key": os.path.join(_fleet, "client_key"),
                "ssh_known_hosts_file": os.path.join(_fleet, "known_hosts"),
                "ssh_strict_host_key_checking": "yes",
                "address": _address,
            },
        )
    )
