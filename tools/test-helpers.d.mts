export function importedPackages(srcDir: string | URL): string[]
export function declaredDependencies(packageJson: string | URL): string[]
export function runReadmeExample(
  readme: string | URL,
  file: string,
  transform?: (code: string) => string,
): Promise<string[]>
