import { envVarName, serverOptionNames, serverOptionSpecs } from './serverOptions.js';

/** The README's configuration table, rendered from the option specs so the two cannot disagree. */
export function optionsTable(): string {
  const rows = serverOptionNames.map((name) => {
    const spec = serverOptionSpecs[name];
    return `| \`${spec.flag}\` | \`${envVarName(name)}\` | ${spec.shownDefault} | ${spec.doc} |`;
  });
  return ['| flag | environment | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}
