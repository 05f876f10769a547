#!/usr/bin/env node
// The main job. Today: a short tour of what the built packages do.
import { IPNet } from '@libnetwork/types'

const net = IPNet.parse('172.17.0.0/16')
console.log(`network ${net} holds ${net.size} addresses; gateway would be ${net.at(1)}`)
