// Verifies the benchmark's tokens with AWS's own Node verifier
// (aws-jwt-verify), one at a time on one thread, for as long as asked, and
// prints throughput and latency percentiles as JSON. The JWKS is loaded
// into the verifier's cache first, as the Go side's is warm.
// usage: node awsjwtverify.mjs <input.json> <seconds>
import { readFileSync } from 'node:fs'
import { CognitoJwtVerifier } from 'aws-jwt-verify'

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const seconds = Number(process.argv[3] ?? '2')
const verifier = CognitoJwtVerifier.create({
  userPoolId: input.userPoolId,
  tokenUse: 'id',
  clientId: input.clientId,
})
verifier.cacheJwks(input.jwks)

const tokens = input.tokens
for (const t of tokens) verifier.verifySync(t) // warm-up, and proof they verify

const samples = []
const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9))
let i = 0
const start = process.hrtime.bigint()
let now = start
while (now < end) {
  const t0 = process.hrtime.bigint()
  verifier.verifySync(tokens[i % tokens.length])
  now = process.hrtime.bigint()
  samples.push(Number(now - t0))
  i++
}
const elapsed = Number(now - start) / 1e9
samples.sort((a, b) => a - b)
const pct = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] / 1000
process.stdout.write(JSON.stringify({ ops: samples.length, opsPerSec: samples.length / elapsed, p50us: pct(0.5), p99us: pct(0.99) }))
