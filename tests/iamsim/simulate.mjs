// Runs IAM simulations with @cloud-copilot/iam-simulate (AGPL-3.0, a
// test-only tool; never bundled into anything deployed).
// stdin: a JSON array of {name, simulation}; stdout: a JSON array of
// {name, result, errors?} where result is Allowed, ExplicitlyDenied,
// ImplicitlyDenied or Error.
import { runSimulation } from '@cloud-copilot/iam-simulate'

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const cases = JSON.parse(Buffer.concat(chunks).toString('utf8'))

const out = []
for (const c of cases) {
  const sim = {
    identityPolicies: [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...c.simulation,
  }
  const res = await runSimulation(sim, {})
  if (res.resultType === 'error') {
    out.push({ name: c.name, result: 'Error', errors: res.errors })
  } else {
    out.push({ name: c.name, result: res.overallResult })
  }
}
process.stdout.write(JSON.stringify(out))
