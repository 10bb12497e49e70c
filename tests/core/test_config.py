"""Config base: validation messages, immutability, TOML/JSON round trips, bad files."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import Field, model_validator

from neurofab.core import Config, ConfigError, DataNotFoundError


class Tile(Config):
    """A config as a subclass would write it."""

    rows: int = Field(256, gt=0, description="rows [1]")
    g_max: float = Field(25e-6, gt=0, description="maximum conductance [S]")
    read_voltage: float = Field(0.2, ge=0, le=1.0, description="read voltage [V]")
    name: str | None = None
    bounds: tuple[float, float] = (-1.0, 1.0)

    @model_validator(mode="after")
    def _ordered(self) -> Tile:
        if self.bounds[0] >= self.bounds[1]:
            raise ValueError(f"bounds {self.bounds} must be (low, high) with low < high")
        return self


def test_error_names_class_field_value_and_rule():
    with pytest.raises(ConfigError) as err:
        Tile(rows=-3)
    assert str(err.value) == "Tile.rows = -3: must be > 0"


def test_upper_bound_and_unknown_field_and_nan():
    with pytest.raises(ConfigError, match=r"Tile.read_voltage = 1.5: must be <= 1.0"):
        Tile(read_voltage=1.5)
    with pytest.raises(ConfigError, match=r"Tile.colums = 3: is not a field"):
        Tile(colums=3)
    with pytest.raises(ConfigError, match=r"Tile.g_max = nan: must be a finite number"):
        Tile(g_max=float("nan"))


def test_cross_field_validator_message_kept():
    with pytest.raises(ConfigError, match=r"low < high"):
        Tile(bounds=(1.0, -1.0))


def test_config_errors_are_value_errors():
    with pytest.raises(ValueError):
        Tile(rows=0)


def test_frozen():
    t = Tile()
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises its own frozen-instance error
        t.rows = 3  # type: ignore[misc]


def test_replace_validates():
    t = Tile().replace(rows=512)
    assert t.rows == 512
    with pytest.raises(ConfigError):
        Tile().replace(rows=0)


@given(
    rows=st.integers(1, 10_000),
    g_max=st.floats(1e-9, 1e-3),
    v=st.floats(0, 1),
    name=st.one_of(st.none(), st.text(max_size=20)),
    lo=st.floats(-10, 0, exclude_max=True),
)
def test_round_trip_toml_and_json(tmp_path_factory, rows, g_max, v, name, lo):
    t = Tile(rows=rows, g_max=g_max, read_voltage=v, name=name, bounds=(lo, 1.0))
    assert Tile.from_toml(t.to_toml()) == t
    assert Tile.from_json(t.to_json()) == t
    folder = tmp_path_factory.mktemp("cfg")
    for suffix in (".toml", ".json"):
        path = t.dump(folder / f"t{suffix}")
        assert Tile.load(path) == t


@given(rows=st.integers(max_value=0))
def test_any_non_positive_rows_rejected(rows):
    with pytest.raises(ConfigError, match="Tile.rows"):
        Tile(rows=rows)


def test_bad_files(tmp_path):
    with pytest.raises(DataNotFoundError):
        Tile.load(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("rows = [", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        Tile.load(bad)
    (tmp_path / "bad.json").write_text(json.dumps([1, 2]), encoding="utf-8")
    with pytest.raises(ConfigError, match="expected a table"):
        Tile.load(tmp_path / "bad.json")
    with pytest.raises(ConfigError, match="suffix"):
        Tile().dump(tmp_path / "t.yaml")
    assert not (tmp_path / "t.yaml").exists()
