"""One rate grammar: the pre-generation hook accepts exactly the rates the generated project does.

The hook cannot import the project, so it carries a copy of the rule. These tests read both as
they run, from the `template` copy (no bytecode written into the working tree): the hook rendered
by cookiecutter's own Jinja environment, the project's `api_layer/rates.py` loaded as a file (it
is copied verbatim into every project).
"""

import importlib.util
import json
import runpy

import pytest
from cookiecutter.environment import StrictEnvironment

VALID = ["1/s", "1/d", "3/second", "4/m", "100/minute", "5/h", "7/hour", "6/day", "999999999/day"]
INVALID = [
    "0/m",  # no request at all is no rate
    "05/m",
    "1000000000/s",  # ten digits
    " 5/m",
    "5/minute ",
    "5 /m",
    "5/ m",
    "5/m\n",
    "5/Minute",
    "5/M",
    "5/mins",
    "5/month",
    "100/monthly",
    "\uff15/m",  # fullwidth 5: int() reads it as 5
    "\u0665/m",  # Arabic-Indic 5
    "+5/m",
    "-5/hour",
    "5.0/m",
    "1e3/m",
    "5",
    "5/",
    "/m",
    "5/m/s",
    "100 per minute",
    "",
]


@pytest.fixture(scope="module")
def hook(template, tmp_path_factory):
    """The pre-generation hook's names, from the hook as cookiecutter renders and runs it."""
    answers = json.loads((template / "cookiecutter.json").read_text(encoding="utf-8"))
    context = {"cookiecutter": answers}
    source = (template / "hooks" / "pre_gen_project.py").read_text(encoding="utf-8")
    rendered = tmp_path_factory.mktemp("hook") / "pre_gen_project.py"
    rendered.write_text(StrictEnvironment(context=context).from_string(source).render(**context))
    return runpy.run_path(str(rendered))  # not as __main__: defines the rules, checks nothing


@pytest.fixture(scope="module")
def rates(template):
    """The generated project's `api_layer/rates.py`; it needs no Django settings to load."""
    path = template / "{{cookiecutter.project_slug}}" / "api_layer" / "rates.py"
    spec = importlib.util.spec_from_file_location("project_rates", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def hook_accepts(hook, key, value):
    rule = {name: rule for name, rule, _ in hook["VALIDATORS"]}[key]
    return rule(value)


def project_accepts(rates, value):
    try:
        rates.parse_rate(value)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("key", ["user_throttle_rate", "anon_throttle_rate"])
@pytest.mark.parametrize("rate", VALID)
def test_a_valid_rate_is_accepted_by_the_hook_and_the_project(hook, rates, key, rate):
    assert hook_accepts(hook, key, rate)
    assert project_accepts(rates, rate)


@pytest.mark.parametrize("key", ["user_throttle_rate", "anon_throttle_rate"])
@pytest.mark.parametrize("rate", INVALID)
def test_an_invalid_rate_is_refused_by_the_hook_and_the_project(hook, rates, key, rate):
    assert not hook_accepts(hook, key, rate)
    assert not project_accepts(rates, rate)


def test_the_hook_carries_the_projects_rule_and_expected_form(hook, rates):
    expected_forms = {name: expected for name, _, expected in hook["VALIDATORS"]}

    assert hook["RATE"] == rates.RATE.pattern
    assert expected_forms["user_throttle_rate"] == rates.EXPECTED
    assert expected_forms["anon_throttle_rate"] == rates.EXPECTED
