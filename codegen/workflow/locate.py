"""Where in the .avsc files a compatibility message points: for `check` and `sync` findings.

Compatibility messages carry JSON pointers into a subject's *self-contained* schema, in which
types from other files are inlined. `locate` follows such a pointer through the loaded model
to the file and JSON path that define that part (the field in `common/sky_position.avsc`, not
`/fields/4/type/fields/1` of the subject's schema), so annotations land on the right line.
"""

from __future__ import annotations

import re
from pathlib import Path

from codegen.schema import model as m
from codegen.workflow.report import Finding

# "reading <label> data with new: /fields/9 (field dome): ..." points into the new schema;
# messages about an older reader ("reading new data with <label>: ...") do not.
_NEW_POINTER = re.compile(r"^reading .+ data with new: (/[^\s:]*)")


def locate(schemas: m.SchemaSet, type_name: str, pointer: str) -> tuple[Path | None, str]:
    """The file and JSON path behind `pointer` in the self-contained schema of `type_name`."""
    named = schemas.get(type_name)
    if named is None:
        return None, ""
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
    cur: m.Type | m.Named = named
    loc = named.loc
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if isinstance(cur, m.Record) and t == "fields" and i + 1 < len(tokens):
            index = tokens[i + 1]
            if not index.isdigit() or int(index) >= len(cur.fields):
                break
            f = cur.fields[int(index)]
            loc, i = f.loc, i + 2
            if i < len(tokens) and tokens[i] == "type":
                cur, i = m.deref(f.type), i + 1
                loc = cur.loc
                continue
            break
        if isinstance(cur, m.Union) and t.isdigit() and int(t) < len(cur.branches):
            cur = m.deref(cur.branches[int(t)])
        elif isinstance(cur, m.Array) and t == "items":
            cur = m.deref(cur.items)
        elif isinstance(cur, m.Map) and t == "values":
            cur = m.deref(cur.values)
        elif t.isdigit():
            i += 1  # the writer's union branch, which the checker appends after the reader's
            continue
        else:
            break
        loc, i = cur.loc, i + 1
    rest = "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens[i:])
    return loc.file, loc.path + rest


def message_finding(
    rule: str, message: str, schemas: m.SchemaSet, type_name: str, subject: str
) -> Finding:
    """A finding for one compatibility message about `subject` (holding `type_name`)."""
    match = _NEW_POINTER.match(message)
    file, path = locate(schemas, type_name, match[1] if match else "")
    return Finding(rule, f"{subject}: {message}", file, path, subject=subject)
