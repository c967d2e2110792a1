// The AWS SDK for JavaScript v3 against a stepline server, unchanged but for the endpoint.
//
// usage: node sfn_smoke.mjs ENDPOINT ACCESS_KEY SECRET_KEY NAME_PREFIX
// Prints one JSON line: what each call answered (or the error's name), for the test to check.
import {
  SFNClient, CreateStateMachineCommand, StartExecutionCommand, DescribeExecutionCommand,
  GetExecutionHistoryCommand, ListExecutionsCommand, StartSyncExecutionCommand, SendTaskSuccessCommand,
  CreateActivityCommand,
} from "@aws-sdk/client-sfn";

const [endpoint, accessKeyId, secretAccessKey, prefix] = process.argv.slice(2);
const options = { endpoint, region: "us-east-1", credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 };
const sfn = new SFNClient(options);
// StartSyncExecution carries the "sync-" host prefix, as in every AWS SDK: a local endpoint needs it off
const sync = new SFNClient({ ...options, disableHostPrefix: true });
const role = "arn:aws:iam::123456789012:role/js";
const out = {};

async function attempt(key, call) {
  try {
    return await call();
  } catch (e) {
    out[key] = { error: e.name };
    return null;
  }
}

const greet = JSON.stringify({
  StartAt: "Hello",
  States: { Hello: { Type: "Pass", Parameters: { "greeting.$": "States.Format('Hello, {}!', $.who)" }, End: true } },
});
const made = await attempt("create", () => sfn.send(new CreateStateMachineCommand({ name: `${prefix}-hello`, definition: greet, roleArn: role })));
if (made) {
  const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: made.stateMachineArn, name: "first", input: JSON.stringify({ who: "node" }) }));
  let described;
  for (let i = 0; i < 200; i++) {
    described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    if (described.status !== "RUNNING") break;
    await new Promise((r) => setTimeout(r, 50));
  }
  out.describe = { status: described.status, output: JSON.parse(described.output), startDateIsDate: described.startDate instanceof Date };
  const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn }));
  out.history = history.events.map((e) => e.type);
  const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: made.stateMachineArn }));
  out.list = listed.executions.map((e) => e.name);
  await attempt("missing", () => sfn.send(new DescribeExecutionCommand({ executionArn: `${started.executionArn}-missing` })));
  await attempt("badName", () => sfn.send(new CreateStateMachineCommand({ name: "no spaces", definition: greet, roleArn: role })));
  await attempt("badDefinition", () => sfn.send(new CreateStateMachineCommand({ name: `${prefix}-bad`, definition: "{}", roleArn: role })));
  await attempt("badToken", () => sfn.send(new SendTaskSuccessCommand({ taskToken: "not-a-token", output: "{}" })));

  const express = await sfn.send(new CreateStateMachineCommand({ name: `${prefix}-express`, definition: greet, roleArn: role, type: "EXPRESS" }));
  const answered = await sync.send(new StartSyncExecutionCommand({ stateMachineArn: express.stateMachineArn, input: JSON.stringify({ who: "sync" }) }));
  out.sync = { status: answered.status, output: JSON.parse(answered.output) };

  const activity = await sfn.send(new CreateActivityCommand({ name: `${prefix}-work` }));
  out.activity = activity.activityArn;
}
console.log(JSON.stringify(out));
