// A fake MacvlanKernel for the unprivileged tests: links in a map, children recorded, calls
// logged, one operation made to fail on demand.
import { UnavailableError } from '@libnetwork/types'
import type { HostLink, MacvlanKernel, MacvlanSpec } from '../src/index.js'

export class FakeKernel implements MacvlanKernel {
  links_ = new Map<string, HostLink>()
  children: MacvlanSpec[] = []
  calls: string[] = []
  fail: string | undefined
  constructor(public kinds = { vlan: true, dummy: true }) {
    this.add('lan0')
  }
  add(name: string, extra: Partial<HostLink> = {}) {
    this.links_.set(name, {
      name,
      index: this.links_.size + 2,
      mtu: 1500,
      enslaved: false,
      loopback: false,
      ...extra,
    })
  }
  #maybeFail(op: string) {
    this.calls.push(op)
    if (this.fail === op) throw new UnavailableError('injected', `${op} failed`)
  }
  async link(name: string) {
    return this.links_.get(name)
  }
  async links() {
    return [...this.links_.values()]
  }
  async supports(kind: 'vlan' | 'dummy') {
    return this.kinds[kind]
  }
  async createVlan(s: { name: string; link: string; vlanId: number; alias: string }) {
    this.#maybeFail(`vlan ${s.name} ${s.link} ${s.vlanId}`)
    this.add(s.name, { kind: 'vlan', alias: s.alias, mtu: this.links_.get(s.link)!.mtu })
  }
  async createDummy(s: { name: string; alias: string }) {
    this.#maybeFail(`dummy ${s.name}`)
    this.add(s.name, { kind: 'dummy', alias: s.alias })
  }
  async createMacvlan(s: MacvlanSpec) {
    this.#maybeFail(`macvlan ${s.name}`)
    this.children.push(s)
  }
  async setAlias(name: string, alias: string) {
    this.#maybeFail(`alias ${name}`)
    this.links_.get(name)!.alias = alias
  }
  async deleteLink(name: string, netns?: string) {
    this.#maybeFail(`delete ${name}${netns ? ` in ${netns}` : ''}`)
    if (netns === undefined) this.links_.delete(name)
  }
  close() {}
}
