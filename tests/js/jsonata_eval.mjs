// Evaluate JSONata expressions with jsonata 2.0.6, the version Step Functions documents, as the
// reference for stepline's (tests/conformance/test_jsonata_reference.py).
// stdin: {"input": <JSON>, "expressions": [<text>, ...]}; each expression is evaluated with the
// input bound as $x. stdout: one result per expression: {"ok": <value>} (undefined as
// "__undefined__", a non-finite number as its name), {"fn": true}, or {"err": code, "msg": message}.
import jsonata from 'jsonata';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { input, expressions } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const replacer = (key, value) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value);
const results = [];
for (const text of expressions) {
  try {
    const value = await jsonata(text).evaluate(undefined, { x: input });
    if (typeof value === 'function') results.push({ fn: true });
    else if (value === undefined) results.push({ ok: '__undefined__' });
    else results.push({ ok: JSON.parse(JSON.stringify(value, replacer)) });
  } catch (err) {
    results.push({ err: err.code || 'Error', msg: err.message });
  }
}
process.stdout.write(JSON.stringify(results));
