"""Grid format: presets, schema and semantic validation with paths, legal-priority warnings."""

from __future__ import annotations

import copy

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.grid import (
    GridError,
    list_presets,
    load_grid,
    parse_grid,
    preset_ids,
    read_grid_file,
    validate_grid,
)
from matching.grid_registry import FACTS, FIELDS, LEGAL_PRIORITIES

STRASBOURG = "eurometropole-strasbourg"
ORLEANS = "orleans-metropole-exemple"


def minimal_grid(**overrides):
    grid = {
        "id": "test",
        "label": "Grille de test",
        "territory": {"epci": "Test", "communes": ["45234"]},
        "version": "1",
        "effective_on": "2025-01-01",
        "combination": "points",
        "seniority": {"points_per_month": 1},
        "criteria": [
            {"id": "dalo", "label": "DALO", "when": {"field": "priority.dalo", "eq": True},
             "effect": {"points": 100}},
            {"id": "handicap", "label": "Handicap", "when": {"field": "wishes.needs_accessible", "eq": True},
             "effect": {"points": 10}},
            {"id": "sep", "label": "Séparation", "when": {"field": "reasons", "contains": "divorce_separation"},
             "effect": {"points": 10}},
            {"id": "taux", "label": "Taux d'effort", "when": {"fact": "taux_effort_logement_actuel", "gt": 0.3},
             "effect": {"points": 10}},
        ],
    }
    grid.update(overrides)
    return grid


def messages(data):
    return [str(e) for e in validate_grid(data).errors]


def test_presets_are_valid_and_listed():
    assert preset_ids() == [STRASBOURG, ORLEANS]
    assert [g.id for g in list_presets()] == [STRASBOURG, ORLEANS]


def test_strasbourg_preset_follows_domain_4_2():
    g = load_grid(STRASBOURG)
    assert g.combination == "coefficients"
    assert g.refusals.reset_base and not g.refusals.only_adapted
    assert g.seniority.points_per_month == 1
    coefs = {c.id: c.effect.value for c in g.criteria if c.effect.by is None}
    assert set(coefs.values()) == {1.3}
    assert set(coefs) == {"acd_labellise", "taux_effort", "reste_a_vivre", "logement_precaire",
                          "emploi_precaire", "handicap", "sur_sous_occupation", "separation",
                          "decohabitation"}
    mobility = next(c for c in g.criteria if c.id == "mobilite_professionnelle")
    assert dict(mobility.effect.by.values) == {"hors_epci": 1.8, "epci": 1.3, "meme_commune": 1.0}
    assert len(g.territory.communes) == 33
    assert g.ref == "eurometropole-strasbourg@2021-seed"


def test_strasbourg_is_flagged_for_missing_legal_priorities():
    g = load_grid(STRASBOURG)
    [warning] = [w for w in g.warnings if "L.441-1" in w.message]
    for code in LEGAL_PRIORITIES:
        assert code in warning.message


def test_orleans_example_covers_legal_priorities_and_says_it_is_an_example():
    g = load_grid(ORLEANS)
    assert not [w for w in g.warnings if "L.441-1" in w.message]
    assert g.is_example
    assert "exemple, non adoptée" in g.label
    assert "xemple, non adoptée" in g.description
    assert g.score_max == 1000 and g.verified_file_bonus is not None
    assert g.refusals.only_adapted and g.refusals.window_months == 24
    assert all(c.startswith("45") for c in g.territory.communes)
    assert any(c.group == "mutation" for c in g.criteria)


def test_missing_priorities_are_listed_individually():
    result = validate_grid(minimal_grid())
    assert result.ok
    [warning] = result.warnings
    assert "dalo" not in warning.message.split(":")[-1].split(", ")
    assert "handicap" in warning.message and "jeune_ase" in warning.message


def test_covers_declares_a_priority_weighted_through_other_fields():
    data = minimal_grid()
    data["criteria"].append({"id": "tout", "label": "L.441-1", "when": {"field": "priority.l441_1", "empty": False},
                             "effect": {"points": 50}})
    assert validate_grid(data).warnings == ()


# ---- errors carry a path and a reason


def test_unknown_field_is_reported_with_its_path():
    data = minimal_grid()
    data["criteria"][3]["when"] = {"field": "foo", "eq": 1}
    assert messages(data) == ["criteria[3].when.field: champ inconnu 'foo'"]


def test_unknown_fact_in_nested_condition():
    data = minimal_grid()
    data["criteria"][1]["when"] = {"any": [{"field": "is_mutation", "eq": True}, {"not": {"fact": "bar", "gt": 1}}]}
    assert messages(data) == ["criteria[1].when.any[1].not.fact: fait inconnu 'bar'"]


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        # an operator that does not fit a number
        ({"fact": "taux_effort_logement_actuel", "contains": "x"}, "criteria[0].when.contains: opérateur inadapté"),
        # an enumeration value that does not exist
        ({"field": "current_housing.kind", "in": ["chateau"]}, "criteria[0].when.in[0]: valeur inconnue 'chateau'"),
        # two operators
        ({"field": "is_mutation", "eq": True, "ne": False}, "criteria[0].when: exactement un opérateur"),
        # a comparison without field or fact
        ({"eq": 3}, "criteria[0].when: une condition a exactement une forme"),
        # a commune that is not an INSEE code
        ({"field": "current_housing.commune", "eq": "Orléans"}, "criteria[0].when.eq: code commune INSEE"),
        # an unknown key in a condition (schema)
        ({"field": "is_mutation", "equals": True}, "criteria[0].when: champ inconnu 'equals'"),
    ],
)
def test_condition_errors(when, expected):
    data = minimal_grid()
    data["criteria"][0]["when"] = when
    found = messages(data)
    assert any(m.startswith(expected) for m in found), found


def test_effect_must_fit_combination_mode():
    data = minimal_grid()
    data["criteria"][2]["effect"] = {"coefficient": 1.3}
    assert messages(data) == ["criteria[2].effect.coefficient: effet 'coefficient' incompatible avec le "
                              "mode 'points' (attendu : 'points')"]


def test_value_map_keys_are_checked():
    data = minimal_grid()
    data["criteria"][2]["effect"] = {"points": {"by": {"fact": "portee_mobilite"}, "values": {"ailleurs": 3}}}
    assert messages(data)[0].startswith("criteria[2].effect.points.values.ailleurs: valeur inconnue")


def test_schema_errors_required_and_types():
    data = minimal_grid()
    del data["version"]
    data["combination"] = "produit"
    data["seniority"]["points_per_month"] = -1
    found = messages(data)
    assert "version: champ obligatoire manquant" in found
    assert any(m.startswith("combination: valeur inconnue 'produit'") for m in found)
    assert any(m.startswith("seniority.points_per_month: doit être supérieur") for m in found)


def test_duplicate_ids_and_unknown_priority_criteria():
    data = minimal_grid(priority={"criteria": ["nope"], "l441_1": ["handicap", "pirate"]})
    data["criteria"][1]["id"] = "dalo"
    found = messages(data)
    assert "criteria[1].id: identifiant en double 'dalo' (déjà criteria[0])" in found
    assert "priority.criteria[0]: critère inconnu 'nope'" in found
    assert any(m.startswith("priority.l441_1[1]: valeur inconnue 'pirate'") for m in found)


def test_parse_grid_raises_with_every_issue():
    data = minimal_grid()
    data["criteria"][0]["when"] = {"field": "foo", "eq": 1}
    data["criteria"][1]["when"] = {"fact": "bar", "eq": 1}
    with pytest.raises(GridError) as info:
        parse_grid(data)
    assert [i.path for i in info.value.issues] == ["criteria[0].when.field", "criteria[1].when.fact"]


def test_load_grid_unknown_id_and_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="grille inconnue"):
        load_grid("nulle-part")
    path = tmp_path / "g.yaml"
    path.write_text(yaml.safe_dump(minimal_grid(), allow_unicode=True), encoding="utf-8")
    assert load_grid(path).ref == "test@1"


def test_presets_round_trip_through_the_validator():
    from matching.grid import PRESETS_DIR

    for gid in preset_ids():
        assert validate_grid(read_grid_file(PRESETS_DIR / f"{gid}.yaml")).ok


def test_registry_names_are_distinct():
    assert not set(FIELDS) & set(FACTS)


@settings(max_examples=40, deadline=None)
@given(index=st.integers(0, 3), name=st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12),
       source=st.sampled_from(["field", "fact"]))
def test_property_unknown_names_are_rejected_with_their_path(index, name, source):
    registry = FIELDS if source == "field" else FACTS
    data = copy.deepcopy(minimal_grid())
    data["criteria"][index]["when"] = {source: name, "eq": 1}
    found = messages(data)
    if name in registry:
        return
    assert found and found[0].startswith(f"criteria[{index}].when.{source}: ")
    assert repr(name) in found[0]
