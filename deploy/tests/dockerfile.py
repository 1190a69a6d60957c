"""A small Dockerfile reader: stages and their instructions, enough for the lint tests."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Instruction:
    keyword: str  # upper case
    args: str  # the rest of the line, continuations joined
    line: int

    def flags(self) -> dict[str, str]:
        """``--name=value`` flags at the start of the arguments."""
        found = {}
        for word in shlex.split(self.args):
            if not word.startswith("--"):
                break
            name, _, value = word[2:].partition("=")
            found[name] = value
        return found

    def words(self) -> list[str]:
        """The arguments without leading flags (exec-form JSON is left as is)."""
        words = shlex.split(self.args)
        while words and words[0].startswith("--"):
            words.pop(0)
        return words


@dataclass
class Stage:
    base: str
    name: str
    instructions: list[Instruction] = field(default_factory=list)

    def of(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


@dataclass
class Dockerfile:
    global_args: dict[str, str]
    stages: dict[str, Stage]

    @classmethod
    def parse(cls, path: Path) -> Dockerfile:
        logical: list[tuple[int, str]] = []
        pending, start = "", 0
        for number, raw in enumerate(path.read_text().splitlines(), start=1):
            line = raw.strip()
            if not pending and (not line or line.startswith("#")):
                continue
            if pending and line.startswith("#"):
                continue
            if not pending:
                start = number
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            logical.append((start, pending + line))
            pending = ""
        global_args: dict[str, str] = {}
        stages: dict[str, Stage] = {}
        current: Stage | None = None
        for number, text in logical:
            keyword, _, args = text.partition(" ")
            instruction = Instruction(keyword.upper(), args.strip(), number)
            if instruction.keyword == "FROM":
                words = instruction.words()
                base = expand(words[0], global_args)
                name = words[2] if len(words) > 2 and words[1].lower() == "as" else str(len(stages))
                current = Stage(base, name)
                stages[name] = current
            elif current is None:
                if instruction.keyword == "ARG":
                    key, _, value = instruction.args.partition("=")
                    global_args[key] = value
            else:
                current.instructions.append(instruction)
        return cls(global_args, stages)

    def chain(self, target: str) -> list[Stage]:
        """``target`` and the stages it is built FROM, base first."""
        stages = []
        name: str | None = target
        while name in self.stages:
            stage = self.stages[name]
            stages.insert(0, stage)
            name = stage.base
        return stages


def expand(text: str, args: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), text)
