"""Which build requirements of a source tree the current environment lacks (run by the
toolchain venv's interpreter: stdlib + pypa/build, Python 3.10).

``python frontend_check.py SRCDIR CONFIG_SETTINGS_JSON`` prints one JSON object:
``requires`` (``[build-system].requires``), ``dynamic`` (what the backend's
``get_requires_for_build_wheel`` hook adds, asked only when the static ones are met), and
``unmet``: each unmet requirement with the chain that leads to it.  Nothing is built.
"""

from __future__ import annotations

import json
import sys

from build import ProjectBuilder, check_dependency


def main(argv: list[str]) -> int:
    srcdir, settings = argv[1], json.loads(argv[2])
    builder = ProjectBuilder(srcdir, python_executable=sys.executable)
    static = sorted(builder.build_system_requires)
    unmet = [list(chain) for req in static for chain in check_dependency(req)]
    dynamic: list[str] = []
    if not unmet:
        dynamic = sorted(builder.get_requires_for_build("wheel", settings))
        unmet += [list(chain) for req in dynamic for chain in check_dependency(req)]
    print(json.dumps({"requires": static, "dynamic": dynamic, "unmet": unmet}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
