# Copyright 2026 The AR4 LeRobot Authors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""Parse "place the <colour> cube on the <tier> shelf" instructions against the world."""

from dataclasses import dataclass
import re
from typing import Sequence

TASK_PATTERN = re.compile(
    r'^\s*place\s+the\s+(?P<colour>[a-z]+)\s+cube\s+on\s+the\s+(?P<tier>[a-z]+)\s+shelf\s*\.?\s*$',
    re.IGNORECASE)


class TaskError(ValueError):
    """An instruction the twin cannot check; the message gives the accepted form."""


@dataclass(frozen=True)
class Task:
    """A pick-and-place goal: which cube goes onto which shelf tier."""

    colour: str
    tier: str

    @property
    def text(self) -> str:
        """Return the canonical instruction text."""
        return f'place the {self.colour} cube on the {self.tier} shelf'


def task_form(colours: Sequence[str], tiers: Sequence[str]) -> str:
    """Return the accepted instruction form, e.g. for error messages and --help."""
    return f'"place the <{"|".join(colours)}> cube on the <{"|".join(tiers)}> shelf"'


def parse_task(text: str, colours: Sequence[str], tiers: Sequence[str]) -> Task:
    """
    Parse an instruction; raise TaskError for anything but the known colours and tiers.

    Matching ignores case, extra spaces and a trailing full stop.
    """
    match = TASK_PATTERN.match(text or '') if isinstance(text, str) else None
    if match is None:
        raise TaskError(f'cannot parse task {text!r}: expected {task_form(colours, tiers)}')
    colour, tier = match.group('colour').lower(), match.group('tier').lower()
    if colour not in colours:
        raise TaskError(f'unknown cube colour {colour!r} in {text!r}: expected '
                        f'{task_form(colours, tiers)}')
    if tier not in tiers:
        raise TaskError(f'unknown shelf tier {tier!r} in {text!r}: expected '
                        f'{task_form(colours, tiers)}')
    return Task(colour=colour, tier=tier)
