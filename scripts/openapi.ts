// Writes the OpenAPI document generated from the route table, without starting a server or
// touching a database, so lint and client generators can read it anywhere:
//
//   node scripts/node.mjs scripts/openapi.ts [file]    (stdout without a file)
import { openApiDocument } from '@chatq/contracts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const json = `${JSON.stringify(openApiDocument(), null, 2)}\n`;
const file = process.argv[2];
if (file) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, json);
} else {
  process.stdout.write(json);
}
