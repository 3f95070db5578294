"""What the pinned Gateway API suite knows, as the Go test module's
``TestCatalogue`` writes it: every feature, every conformance profile's core
and extended features, every test with its features.

The suite's own rules, restated on that data (``conformance/utils/suite``
v1.6.1): a test belongs to a profile when each of its features is one of the
profile's core or extended features; it counts at the extended level when any
of them is not a core feature; it runs when the suite supports all of its
features (a profile's core features are always supported once the profile is
asked for).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from pathlib import Path


class Level(str, Enum):
    CORE = "core"
    EXTENDED = "extended"


@dataclass(frozen=True)
class Profile:
    name: str
    core: frozenset[str]
    extended: frozenset[str]

    @property
    def features(self) -> frozenset[str]:
        return self.core | self.extended


@dataclass(frozen=True)
class SuiteTest:
    name: str
    description: str
    features: tuple[str, ...]
    provisional: bool = False
    parallel: bool = False
    slow: bool = False


@dataclass(frozen=True)
class Catalogue:
    features: dict[str, str]  # name -> channel (standard | experimental)
    profiles: dict[str, Profile]
    tests: tuple[SuiteTest, ...]

    def level(self, test: SuiteTest, profile: Profile) -> Level | None:
        """The level ``test`` counts at in ``profile``, or None when it is not one of its tests."""
        if not set(test.features) <= profile.features:
            return None
        return Level.CORE if set(test.features) <= profile.core else Level.EXTENDED

    def tests_of(self, profile: Profile, level: Level) -> list[SuiteTest]:
        return [t for t in self.tests if self.level(t, profile) is level]

    def test(self, name: str) -> SuiteTest | None:
        return next((t for t in self.tests if t.name == name), None)


class CatalogueError(ValueError):
    pass


def parse(doc: dict) -> Catalogue:
    try:
        features = {str(f["name"]): str(f["channel"]) for f in doc["features"]}
        profiles = {
            str(name): Profile(str(name), frozenset(p["core"] or ()), frozenset(p["extended"] or ()))
            for name, p in doc["profiles"].items()
        }
        tests = tuple(
            SuiteTest(
                name=str(t["name"]),
                description=str(t.get("description", "")),
                features=tuple(str(f) for f in t.get("features") or ()),
                provisional=bool(t.get("provisional")),
                parallel=bool(t.get("parallel")),
                slow=bool(t.get("slow")),
            )
            for t in doc["tests"]
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise CatalogueError(f"not a suite catalogue: missing {exc}") from None
    if not features or not profiles or not tests:
        raise CatalogueError("not a suite catalogue: no features, profiles or tests")
    return Catalogue(features, profiles, tests)


def load(path: Path) -> Catalogue:
    try:
        return parse(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise CatalogueError(f"cannot read the suite catalogue {path}: {exc}") from None
