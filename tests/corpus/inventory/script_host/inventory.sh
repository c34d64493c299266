#!/bin/sh
# A dynamic inventory script without _meta: variables come from `--host NAME`.
# It reads INVENTORY_TOKEN from its environment, as real scripts read credentials.
case "$1" in
--list)
  cat <<JSON
{
  "app": {"hosts": ["app1", "app2"], "vars": {"token": "${INVENTORY_TOKEN:-unset}"}},
  "all": {"vars": {"region": "eu"}},
  "workers": {"hosts": ["app2", "job1"], "children": ["app"]},
  "standalone": {"vars_only": 1}
}
JSON
  ;;
--host)
  case "$2" in
    app1) echo '{"ansible_port": 2201, "nested": {"a": [1, {"b": null}]}}' ;;
    job1) echo '' ;;
    *) echo '{}' ;;
  esac
  ;;
*) echo "usage: $0 --list | --host NAME" >&2; exit 2 ;;
esac
