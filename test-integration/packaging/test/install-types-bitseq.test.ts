// @libnetwork/types and @libnetwork/bitseq, each installed alone from its tarball (cases in
// install.ts). The cherry-picked packages are spread over four files so that each file stays
// well inside its timeout on a busy machine.
import t from 'tap'
import { installCases } from './install.js'

installCases(t, ['@libnetwork/types', '@libnetwork/bitseq'])
