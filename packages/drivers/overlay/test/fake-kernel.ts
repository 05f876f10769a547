// An in-memory OverlayKernel for unit tests of the driver's logic (no root): namespaces with
// their links and peer entries, and a way to make the next call of a method fail.
import type { OverlayKernel, PeerEntry } from '../src/index.js'

export interface FakeNs {
  links: Set<string>
  peers: Map<string, PeerEntry>
}

export class FakeKernel implements OverlayKernel {
  readonly ns = new Map<string, FakeNs>()
  readonly failNext = new Set<keyof OverlayKernel>()
  esp = false
  mtu = 1500

  #maybeFail(m: keyof OverlayKernel): void {
    if (this.failNext.delete(m)) throw new Error(`fake ${m} failure`)
  }

  #get(netns: string): FakeNs {
    const n = this.ns.get(netns)
    if (!n) throw new Error(`no namespace ${netns}`)
    return n
  }

  underlayMtu(): number {
    return this.mtu
  }
  supportsEsp(): boolean {
    return this.esp
  }
  createNetworkSandbox(s: Parameters<OverlayKernel['createNetworkSandbox']>[0]): void {
    this.#maybeFail('createNetworkSandbox')
    if (this.ns.has(s.netns)) throw new Error(`namespace ${s.netns} exists`)
    this.ns.set(s.netns, { links: new Set([s.bridge, s.vxlan]), peers: new Map() })
  }
  sandboxExists(netns: string): boolean {
    return this.ns.has(netns)
  }
  listSandboxes(prefix: string): string[] {
    return [...this.ns.keys()].filter((n) => n.startsWith(prefix))
  }
  linkExists(netns: string, name: string): boolean {
    return this.ns.get(netns)?.links.has(name) ?? false
  }
  deleteNetworkSandbox(netns: string): void {
    this.ns.delete(netns)
  }
  createVeth(s: Parameters<OverlayKernel['createVeth']>[0]): void {
    this.#maybeFail('createVeth')
    this.#get(s.netns).links.add(s.host)
  }
  deleteLink(netns: string, name: string): void {
    this.ns.get(netns)?.links.delete(name)
  }
  addPeer(netns: string, _vxlan: string, p: PeerEntry): void {
    this.#maybeFail('addPeer')
    this.#get(netns).peers.set(p.mac, p)
  }
  deletePeer(netns: string, _vxlan: string, p: PeerEntry): void {
    this.ns.get(netns)?.peers.delete(p.mac)
  }
  close(): void {}
}
