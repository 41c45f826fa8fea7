"""Pins stay deliberate and in step between the template's tooling and the generated project."""

import re
import tomllib

from .conftest import TEMPLATE

# A dependency only some answers need sits in a Jinja `{% if %}` inside the list: its pin counts.
JINJA_TAG = re.compile(r"\{%.*?%\}")
PIN = re.compile(r"^([A-Za-z0-9_.\[\]-]+)==([0-9][0-9A-Za-z.]*)$")


def pins(lines):
    found = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if line:
            match = PIN.match(line)
            assert match, f"not pinned with ==: {line!r}"
            found[match[1].split("[")[0].lower()] = match[2]
    return found


def generated_pins():
    text = (TEMPLATE / "{{cookiecutter.project_slug}}" / "pyproject.toml").read_text()
    text = JINJA_TAG.sub("", text)
    project = tomllib.loads(text)["project"]
    extras = [pin for group in project["optional-dependencies"].values() for pin in group]
    return pins(project["dependencies"] + extras)


def test_generated_project_pins_every_dependency_exactly():
    assert generated_pins()


def test_requirements_dev_pins_match_the_generated_project():
    dev = pins((TEMPLATE / "requirements-dev.txt").read_text().splitlines())

    differing = {
        name: (dev[name], version)
        for name, version in generated_pins().items()
        if name in dev and dev[name] != version
    }
    missing = sorted(set(generated_pins()) - set(dev))
    assert differing == {}
    assert missing == []


def hook_dependency_names():
    """DEPENDENCY_NAMES of the pre-generation hook, read without running the hook."""
    source = (TEMPLATE / "hooks" / "pre_gen_project.py").read_text()
    block = re.search(r"DEPENDENCY_NAMES = \{(.*?)\}", source, re.DOTALL)[1]
    return set(re.findall(r'"([\w-]+)"', block))


def test_hook_refuses_every_dependency_name_as_a_slug():
    distributions = {re.sub(r"[-_.]+", "_", name) for name in generated_pins()}

    assert hook_dependency_names() == distributions
