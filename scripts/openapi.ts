import { openApiDocument } from '@chatq/contracts';
console.log(JSON.stringify(openApiDocument(), null, 2));
