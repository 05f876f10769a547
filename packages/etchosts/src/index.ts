/**
 * @packageDocumentation
 * Build and update a sandbox's /etc/hosts file
 */
export {}
