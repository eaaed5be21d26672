// A second EIP-712 implementation for the tests: ethers v6 (npm, devDependencies), independent of
// eth-account, which pyclient signs with. Run with node from the repository root, so that `ethers`
// resolves from its node_modules. One JSON request on stdin, one JSON answer on stdout:
//   {"sign": typedData, "key": "0x..."}        -> {"signature": "0x...", "digest": "0x..."}
//   {"verify": typedData, "signature": "0x..."} -> {"address": "0x...", "digest": "0x..."}
// typedData is eth_signTypedData_v4's {types, primaryType, domain, message}. Integers above 2^53
// (nonces, amounts) must come as decimal strings: a JSON number that large has already lost digits,
// so one is refused rather than rounded.
import { readFileSync } from 'node:fs';
import { TypedDataEncoder, Wallet, verifyTypedData } from 'ethers';

function checkNumbers(value, where) {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new Error(`${where} is ${value}: send integers beyond 2^53 as decimal strings`);
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) checkNumbers(v, `${where}.${k}`);
  }
}

// ethers derives the domain type from the domain object and refuses EIP712Domain among the types.
function parts(typed) {
  const { EIP712Domain, ...types } = typed.types;
  const encoder = TypedDataEncoder.from(types);
  if (typed.primaryType !== undefined && encoder.primaryType !== typed.primaryType) {
    throw new Error(`primary type is ${encoder.primaryType}, not ${typed.primaryType}`);
  }
  return [typed.domain, types, typed.message];
}

const request = JSON.parse(readFileSync(0, 'utf8'));
checkNumbers(request, 'request');
let answer;
if (request.sign !== undefined) {
  const [domain, types, message] = parts(request.sign);
  answer = {
    signature: await new Wallet(request.key).signTypedData(domain, types, message),
    digest: TypedDataEncoder.hash(domain, types, message),
  };
} else if (request.verify !== undefined) {
  const [domain, types, message] = parts(request.verify);
  answer = {
    address: verifyTypedData(domain, types, message, request.signature),
    digest: TypedDataEncoder.hash(domain, types, message),
  };
} else {
  throw new Error('expected {"sign": typedData, "key": ...} or {"verify": typedData, "signature": ...}');
}
process.stdout.write(JSON.stringify(answer) + '\n');
