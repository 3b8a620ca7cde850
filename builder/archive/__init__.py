"""The archive stage, by layer: :mod:`.gzstream` (the gzip stream engine), :mod:`.tar`
(tar framing and the member plan), :mod:`.writer` (the stage's policy: levels, deflate
ahead), :mod:`.reuse` (rebuilds that copy the weights from the previous archive),
:mod:`.replace` (the archive and its sidecar replaced as a pair, and what a killed build
left put right), :mod:`.journal` (the pending record of that replacement: the one object
that writes, reads and clears it and says which sidecar is in force) and :mod:`.contract`
(the manifest, the files beside the archive, and their names: the one owner of that
contract)."""

from .contract import ArchiveIdentity, FileRecord, report_path, sidecar_path
from .gzstream import Tuning
from .tar import Member
from .writer import (
    DEFAULT_COMPRESSLEVEL,
    DEFAULT_WEIGHTS_COMPRESSLEVEL,
    ArchiveResult,
    check_output_dir,
    source_date_epoch,
    write_archive,
)

__all__ = [
    "DEFAULT_COMPRESSLEVEL",
    "DEFAULT_WEIGHTS_COMPRESSLEVEL",
    "ArchiveIdentity",
    "ArchiveResult",
    "FileRecord",
    "Member",
    "Tuning",
    "check_output_dir",
    "report_path",
    "sidecar_path",
    "source_date_epoch",
    "write_archive",
]
