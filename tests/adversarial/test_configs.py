"""Every public config, from its own field definitions: valid values construct and round-trip exactly through
TOML and JSON; values a field refuses raise ConfigError naming the field; nothing else escapes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from neurofab.core import Config, ConfigError

from .configs import all_config_classes, examples, invalid_values, numeric_fields, valid_value

CLASSES = all_config_classes()
EXAMPLES = examples()


def base_instance(cls: type[Config]) -> Config:
    if cls.__name__ in EXAMPLES and type(EXAMPLES[cls.__name__]) is cls:
        return EXAMPLES[cls.__name__]
    try:
        return cls()
    except ConfigError as err:
        raise AssertionError(f"{cls.__name__} has required fields: add an example instance to "
                             f"tests/adversarial/configs.py ({err})") from None


def round_trips(cfg: Config) -> None:
    cls = type(cfg)
    assert cls.from_toml(cfg.to_toml()) == cfg, f"{cls.__name__}: TOML round trip changed {cfg!r}"
    assert cls.from_json(cfg.to_json()) == cfg, f"{cls.__name__}: JSON round trip changed {cfg!r}"


def test_the_suite_sees_the_configs():
    names = {c.__name__ for c in CLASSES}
    assert {"SoftBounds", "TileConfig", "LIFConfig", "CIMConfig", "PCMNoiseModel", "IOConfig"} <= names


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_base_instance_round_trips(cls):
    round_trips(base_instance(cls))


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_refused_values_name_the_field(cls):
    base = base_instance(cls)
    for name, (kind, bounds) in numeric_fields(cls).items():
        for bad in invalid_values(kind, bounds):
            with pytest.raises(ConfigError) as err:
                base.replace(**{name: bad})
            assert name in str(err.value), f"{cls.__name__}.{name} = {bad!r}: message {err.value} does not name it"


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
@given(data=st.data())
def test_admitted_values_construct_and_round_trip(cls, data):
    base = base_instance(cls)
    fields = numeric_fields(cls)
    if not fields:
        return
    names = data.draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=3, unique=True))
    changes = {n: data.draw(valid_value(*fields[n], getattr(base, n)), label=n) for n in names}
    try:
        cfg = base.replace(**changes)
    except ConfigError:
        return  # a cross-field rule refused the combination, with a clear error: allowed
    round_trips(cfg)


def test_unknown_fields_and_wrong_tables_are_refused():
    from neurofab.devices import SoftBounds

    with pytest.raises(ConfigError, match="not a field"):
        SoftBounds(dw_minn=0.1)
    with pytest.raises(ConfigError, match="expected a table"):
        SoftBounds.from_dict([1, 2])  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="not valid TOML"):
        SoftBounds.from_toml("dw_min = = 1")
