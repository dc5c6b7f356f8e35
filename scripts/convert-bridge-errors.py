#!/usr/bin/env python3
"""One-off: moves `new BridgeError(reason, status, {...})` to `new BridgeError(reason, {...})`, the
status coming from REASON_STATUS in src/errors.ts. Run from the repository root:

    python3 scripts/convert-bridge-errors.py $(grep -rlE 'BridgeError|refuse(If)?\\(' src test)
    npx prettier --write src test && npm run typecheck

It edits the files in place and changes no status:
- a site whose status is a literal equal to its reason's registry status loses the status;
- a literal status that differs, for a reason that may give its own (STATUS_OVERRIDE_REASONS),
  moves into the options as `status: N`;
- in calls of the local helpers `refuse(...)` and `refuseIf(...)`, a literal status right after a
  `Reasons.x` argument goes the same way (equal to the registry's: dropped);
- anything else (a computed reason or status, a status a reason may not give) is left as it is and
  printed with its line, to edit by hand. The script exits 1 while any is left.

After the hand edits (typecheck names each), the deprecated 3-argument constructor and its test
("the deprecated form keeps the status it is given" in test/errors.test.ts) go; delete this script.
"""
import re
import sys

errors = open('src/errors.ts').read()


def section(start: str, end: str) -> str:
    return errors[errors.index(start) : errors.index(end, errors.index(start))]


code_of = dict(re.findall(r"^\s+(\w+): '(\w+)',$", section('export const Reasons', '} as const;'), re.M))
status_of = {
    code_of[name]: int(n)
    for name, n in re.findall(r"\[Reasons\.(\w+)\]: (\d{3}),", section('export const REASON_STATUS', '};'))
}
may_override = {code_of[n] for n in re.findall(r"Reasons\.(\w+)", section('export const STATUS_OVERRIDE_REASONS', ';'))}
assert len(status_of) == len(code_of), 'REASON_STATUS does not cover every reason'


def reason_code(text: str):
    m = re.fullmatch(r"Reasons\.(\w+)", text) or re.fullmatch(r"'(\w+)'", text)
    if not m:
        return None
    return code_of.get(m[1], m[1] if m[1] in status_of else None)


# new BridgeError(<reason>, <status> followed by `, {` (options) or `)`.
SITE = re.compile(r"new BridgeError\(\s*(?P<reason>[^,()]+?),\s*(?P<status>[^,(){}]+?)\s*(?P<rest>,\s*\{|\))", re.S)
# A helper call's `Reasons.x, NNN` (the status argument after the reason), within one statement.
HELPER = re.compile(r"(?P<head>\b(?:refuse|refuseIf)\((?:[^;]*?))(?P<reason>Reasons\.\w+),\s*(?P<status>\d{3})(?P<tail>\s*[,)])", re.S)

left = 0


def by_hand(path: str, src: str, at: int, what: str) -> None:
    global left
    left += 1
    print(f"{path}:{src.count(chr(10), 0, at) + 1}: by hand: {what}")


for path in sys.argv[1:]:
    if path.endswith('src/errors.ts'):
        continue
    src = open(path).read()

    out, pos = [], 0
    for m in SITE.finditer(src):
        reason, status, options = m['reason'].strip(), m['status'].strip(), m['rest'].strip().startswith(',')
        code = reason_code(reason)
        if code is None or not re.fullmatch(r"\d{3}", status):
            by_hand(path, src, m.start(), f"new BridgeError({reason}, {status}, …)")
            continue
        n = int(status)
        if n == status_of[code]:
            new = f"new BridgeError({reason}{', {' if options else ')'}"
        elif code in may_override:
            new = f"new BridgeError({reason}, {{ status: {n}," if options else f"new BridgeError({reason}, {{ status: {n} }})"
        else:
            by_hand(path, src, m.start(), f"{code} thrown with {n}; its registry status is {status_of[code]}")
            continue
        out.append(src[pos : m.start()] + new)
        pos = m.end()
    src = ''.join(out) + src[pos:]

    out, pos = [], 0
    for m in HELPER.finditer(src):
        code, n = reason_code(m['reason']), int(m['status'])
        if code is None or n != status_of[code]:
            by_hand(path, src, m.start('reason'), f"helper call with {m['reason']}, {n}")
            continue
        out.append(src[pos : m.start()] + m['head'] + m['reason'] + m['tail'])
        pos = m.end()
    src = ''.join(out) + src[pos:]

    open(path, 'w').write(src)

print(f"{left} site(s) left to edit by hand" if left else 'every site converted')
sys.exit(1 if left else 0)
