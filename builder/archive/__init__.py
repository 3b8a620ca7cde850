"""The archive stage, by layer: :mod:`.gzstream` (the gzip stream engine), :mod:`.tar`
(tar framing and the member plan), :mod:`.writer` (the stage's policy: levels, deflate
ahead, atomic replacement) and :mod:`.contract` (the manifest, the files beside the
archive, and their names: the one owner of that contract)."""

from .contract import FileRecord, report_path, sidecar_path
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
