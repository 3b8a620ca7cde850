"""Target runtime profiles: what the machine that runs the submission already has.

A profile is data (``lockfiles/profiles/<name>.toml`` of the project, else the packaged
one): the Python version, the platform and its glibc / libstdc++ versions, the shared
libraries the system provides, and the packages the runtime has already imported before
``main.py`` runs.  :mod:`.model` holds the dataclasses, :mod:`.io` reads and writes the
TOML, :mod:`.capture` makes a profile from a real notebook.
"""

from .io import dump_profile, find_profile, load_profile, resolve_profile
from .model import GpuSpec, Profile, ProvidedPackage, Timeouts

__all__ = [
    "GpuSpec",
    "Profile",
    "ProvidedPackage",
    "Timeouts",
    "dump_profile",
    "find_profile",
    "load_profile",
    "resolve_profile",
]
