"""The lean CUDA build: what it leaves out (llama.cpp's own options), that this is in the
key and the provenance, and that a setting needing it is refused before anything compiles."""

from __future__ import annotations

from pathlib import Path

import pytest
from factories.projects import PROFILE, mini_project

from builder.errors import ConfigError
from builder.layout import Project, default_path
from builder.pipeline import build
from builder.profile import load_profile
from builder.spec import Overrides, resolve_spec
from builder.wheels.cuda import CUDA_FLAGS, CudaRecipe
from builder.wheels.cuda.lean import LEAN_FLAGS, left_out, refuse_settings, setting_problems
from builder.wheels.cuda.lock import load_cuda_lock

PROF = load_profile(PROFILE)


def test_the_cuda_build_leaves_out_flash_attention_with_llama_cpps_options() -> None:
    assert set(LEAN_FLAGS) <= set(CUDA_FLAGS)
    assert "-DGGML_CUDA_FA=OFF" in CUDA_FLAGS and "-DGGML_CUDA_FA_QUANTS=f16-f16" in CUDA_FLAGS
    material = CudaRecipe(lock=load_cuda_lock()).key_material(PROF)
    assert material["left_out"] == left_out() and set(left_out()) == {"flash_attn", "quantized_kv_cache"}


def test_the_template_and_the_t4_recipe_need_nothing_the_build_leaves_out() -> None:
    import json

    settings = json.loads(default_path("template/agent_settings.json").read_text())
    assert settings["flash_attn"] is False
    assert setting_problems(settings, left_out()) == []
    recipe = (Path(default_path("template")).parents[1] / "builder" / "defaults" / "recipes" / "llama3-8b-t4.toml")
    if recipe.is_file():  # a checkout; in a wheel the recipe is package data
        assert "flash_attn" not in recipe.read_text()


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"flash_attn": True}, "flash_attn = True"),
        ({"flash_attn": "true"}, "flash_attn = 'true'"),
        ({"flash_attn": False, "type_v": "q8_0"}, "type_v = 'q8_0'"),
        ({"type_k": 8}, "type_k = 8"),
    ],
)
def test_a_setting_that_needs_what_is_left_out_is_refused_naming_it(settings: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError) as exc:
        refuse_settings(settings, left_out(), source="recipes/llama3-8b-t4.toml [agent]")
    text = str(exc.value)
    assert text.startswith("recipes/llama3-8b-t4.toml [agent]") and named in text and "GGML_CUDA_FA=OFF" in text
    assert "\n" not in text
    refuse_settings(settings, {}, source="x")  # a build that leaves nothing out serves them


def test_a_cuda_build_with_flash_attn_is_refused_before_anything_compiles(tmp_path: Path) -> None:
    """`build --backend cuda --set flash_attn=true`: a one-line error naming the setting and
    where it came from, before the wheels stage (no toolkit download, no compile)."""
    paths = mini_project(tmp_path / "p")
    spec = resolve_spec(Project(tmp_path / "p"), None,
                        Overrides(model=paths["model"], output=tmp_path / "out.tar.gz", backend="cuda",
                                  agent={"flash_attn": True}), cache=tmp_path / "cache")
    with pytest.raises(ConfigError, match=r"--set: agent setting flash_attn = True needs flash attention") as exc:
        build(spec)
    assert str(exc.value).startswith(spec.agent_source) and "\n" not in str(exc.value)  # names where it was set
    assert not (tmp_path / "out.tar.gz").exists() and not (tmp_path / "cache" / "built").exists()
