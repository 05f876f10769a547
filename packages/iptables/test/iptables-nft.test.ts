// Real iptables (nft backend), run inside namespaces this test creates.
import t from 'tap'
import { backendCases } from './backend-cases.js'

backendCases(t, 'nft')
