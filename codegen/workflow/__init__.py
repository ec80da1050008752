"""The schema workflow commands: what a team runs on its schemas besides generating code.

`sync` is `avrobind sync` (read the registry's state, plan, check compatibility, then
register; what happens on a 409 or a READONLY subject lives there); `check` is the
compatibility half of `avrobind check` (the working tree against git history, through `git`).
`lint` runs the rules of `lint_rules` and `lint_evolution` as `lint_config` says; `pull` fetches
registry subjects into .avsc files and `lock`; `docs` writes the `asyncapi` document and the
`catalog`. `report` is the one place findings are formatted (text, JSON, GitHub annotations)
for lint, check and sync; `locate` maps compatibility messages to files. Which schema each
subject holds is `codegen.subjects`, shared with the generator (the generated package
registers the same form).

May import: `codegen.schema` (loading, self-contained forms, compatibility), `codegen.config`,
`codegen.subjects`, `codegen.errors`, `codegen.runtime` (the registry client `sync` talks
through); never the other job folders (`generator`, `registry_server`) nor `codegen.cli`.
"""
