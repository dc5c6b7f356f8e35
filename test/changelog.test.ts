/**
 * CHANGELOG.md is in released versions (Keep a Changelog 1.1.0, Semantic Versioning):
 * `## [Unreleased]` first, then `## [x.y.z] - YYYY-MM-DD` newest first, the newest being
 * package.json's version; each section's subsections only the six change types, in
 * their order; a link reference for every heading, on the project's source URL.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';

const read = (f: string) => readFileSync(new URL(`../${f}`, import.meta.url), 'utf8');

const TYPES = ['Added', 'Changed', 'Deprecated', 'Removed', 'Fixed', 'Security'];
const RELEASE = /^\[(\d+)\.(\d+)\.(\d+)\] - (\d{4}-\d{2}-\d{2})$/;

interface Expected {
  /** package.json's version: the newest release. */
  version: string;
  /** The repository's URL the image is labelled with (the Dockerfile's SOURCE_URL). */
  sourceUrl: string;
}

/** What is wrong with a changelog's structure: one line per problem, none when it is right. */
function changelogProblems(text: string, { version, sourceUrl }: Expected): string[] {
  const problems: string[] = [];
  const lines = text.split('\n');
  if (lines[0] !== '# Changelog') problems.push(`the first line is "${lines[0]}", not "# Changelog"`);

  const sections: { label: string; types: string[] }[] = [];
  const references = new Map<string, string>();
  for (const line of lines) {
    const heading = /^## (.*)$/.exec(line)?.[1];
    const sub = /^### (.*)$/.exec(line)?.[1];
    const reference = /^\[([^\]]+)\]: (\S+)$/.exec(line);
    if (heading !== undefined) {
      const label =
        heading === '[Unreleased]'
          ? 'Unreleased'
          : RELEASE.test(heading)
            ? heading.slice(1, heading.indexOf(']'))
            : undefined;
      if (label === undefined)
        problems.push(`"## ${heading}" is neither "## [Unreleased]" nor "## [x.y.z] - YYYY-MM-DD"`);
      sections.push({ label: label ?? heading, types: [] });
    } else if (sub !== undefined) {
      const section = sections.at(-1);
      if (section === undefined) problems.push(`"### ${sub}" before any version`);
      else section.types.push(sub);
    } else if (reference) {
      if (references.has(reference[1]!)) problems.push(`two link references for [${reference[1]}]`);
      references.set(reference[1]!, reference[2]!);
    }
  }

  if (sections[0]?.label !== 'Unreleased') problems.push('the first section is not "## [Unreleased]"');
  const releases = sections.filter((s) => s.label !== 'Unreleased');
  if (sections.filter((s) => s.label === 'Unreleased').length > 1) problems.push('more than one [Unreleased] section');
  if (releases[0]?.label !== version)
    problems.push(`the newest release is ${releases[0]?.label ?? 'missing'}, package.json says ${version}`);

  // Newest first: each release is a lower version, dated no later, than the one above it.
  const headings = lines
    .filter((l) => RELEASE.test(l.slice(3)) && l.startsWith('## '))
    .map((l) => RELEASE.exec(l.slice(3))!);
  for (const [, , , , date] of headings)
    if (new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) !== date) problems.push(`${date} is not a date`);
  for (let i = 1; i < headings.length; i++) {
    const [newer, older] = [headings[i - 1]!, headings[i]!];
    const order = [1, 2, 3].map((n) => Number(newer[n]) - Number(older[n])).find((d) => d !== 0) ?? 0;
    if (order <= 0) problems.push(`${older[0]} comes after ${newer[0]}, which is not a higher version`);
    if (older[4]! > newer[4]!) problems.push(`${older[0]} is dated after ${newer[0]}`);
  }

  // Each section's subsections: only the six types, each at most once, in Keep a Changelog's order.
  for (const { label, types } of sections) {
    for (const type of types)
      if (!TYPES.includes(type)) problems.push(`[${label}] has "### ${type}", not one of ${TYPES.join(', ')}`);
    const known = types.filter((type) => TYPES.includes(type));
    const ordered = TYPES.filter((type) => known.includes(type));
    if (known.join() !== ordered.join())
      problems.push(`[${label}]'s subsections are ${known.join(', ')}: not ${ordered.join(', ')}`);
  }

  // A link reference for every heading: Unreleased compares from the newest tag, each release from the one
  // below it, and the oldest is its tag.
  const labels = sections.map((s) => s.label);
  for (const [i, label] of labels.entries()) {
    const below = labels[i + 1];
    const expected =
      label === 'Unreleased'
        ? `${sourceUrl}/compare/v${below}...HEAD`
        : below === undefined
          ? `${sourceUrl}/releases/tag/v${label}`
          : `${sourceUrl}/compare/v${below}...v${label}`;
    const actual = references.get(label);
    if (actual === undefined) problems.push(`no link reference [${label}]: at the bottom`);
    else if (actual !== expected) problems.push(`[${label}]: ${actual}, not ${expected}`);
  }
  for (const label of references.keys())
    if (!labels.includes(label)) problems.push(`the link reference [${label}] names no section`);
  return problems;
}

const changelog = read('CHANGELOG.md');
const expected: Expected = {
  version: (JSON.parse(read('package.json')) as { version: string }).version,
  sourceUrl: /^ARG SOURCE_URL=(\S+)$/m.exec(read('Dockerfile'))![1]!,
};

t.test("CHANGELOG.md is in released versions, the newest package.json's, each with its link", async (t) => {
  t.match(expected.sourceUrl, /^https:\/\//, "the Dockerfile's SOURCE_URL is found");
  t.same(changelogProblems(changelog, expected), []);
});

t.test('the check can fail: each kind of mistake is named', async (t) => {
  const v = expected.version;
  const cases: [mistake: string, from: string | RegExp, to: string, named: RegExp][] = [
    ['a heading in the old form', `## [${v}] - `, `## ${v} (`, /is neither "## \[Unreleased\]"/],
    ['a heading without its dash', `## [${v}] - `, `## [${v}] `, /is neither/],
    [
      'Unreleased with a title',
      '## [Unreleased]',
      '## Unreleased: next',
      /the first section is not "## \[Unreleased\]"/,
    ],
    ['a lower version above a higher', /^## \[0\.1\.0\] - \S+$/m, '## [0.3.0] - 2026-11-28', /not a higher version/],
    ['an older release dated later', /^## \[0\.1\.0\] - \S+$/m, '## [0.1.0] - 2027-01-01', /is dated after/],
    ['a date that does not exist', /^## \[0\.1\.0\] - \S+$/m, '## [0.1.0] - 2026-02-30', /2026-02-30 is not a date/],
    ['a seventh type', '### Fixed', '### Performance', /has "### Performance", not one of Added/],
    [
      'a type twice, out of order',
      /(## \[0\.2\.0\][\s\S]*?)### Added/,
      '$1### Security',
      /subsections are Security, Changed/,
    ],
    ['a missing link reference', /^\[0\.1\.0\]: .*\n/m, '', /no link reference \[0\.1\.0\]:/],
    ['a link comparing the wrong tags', 'compare/v0.1.0...v', 'compare/v0.0.9...v', /, not \S+compare\/v0\.1\.0\.\.\./],
    [
      'a link to another URL',
      '.invalid/source/compare/v',
      '.example/compare/v',
      /, not https:\/\/commbox-sso-bridge\.invalid/,
    ],
  ];
  for (const [mistake, from, to, named] of cases) {
    const text = changelog.replace(from, to);
    t.not(text, changelog, `${mistake}: ${String(from)} is in CHANGELOG.md to break`);
    t.match(changelogProblems(text, expected).join('\n'), named, mistake);
  }
  t.match(
    changelogProblems(changelog, { ...expected, version: '9.9.9' }).join('\n'),
    /the newest release is \S+, package\.json says 9\.9\.9/,
    'package.json at a version the changelog has no section for',
  );
});
