/**
 * What may import what (run by `npm run lint`). `lib/`, `functions/` and the CLI entry are
 * what the package ships; `dev/` (the local demo, simulator, stand-ins) and `test/` are
 * tooling that imports the product, never the other way round.
 * @type {import('dependency-cruiser').IConfiguration}
 */
const SHIPPED = '^(lib|functions)/|^bin/gleantap-notifier[.]ts$';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'An import cycle among the shipped modules: a module at one end cannot be understood, tested or moved without the other. Move what both need into a third module.',
      from: { path: '^(lib|functions|bin)/' },
      to: { circular: true },
    },
    {
      name: 'not-to-dev-dep',
      severity: 'error',
      comment:
        "A shipped module imports a package from package.json's devDependencies: an installed copy of the package does not have it. Declare it in dependencies, or move the module to dev/ or test/.",
      from: { path: SHIPPED },
      to: {
        dependencyTypes: ['npm-dev'],
        // aws-cdk-lib and constructs are optional peers that lib/infra needs only in a CDK
        // app, which brings its own; types vanish at run time.
        dependencyTypesNot: ['npm-peer', 'type-only'],
        pathNot: ['node_modules/@types/'],
      },
    },
    {
      name: 'not-to-dev-folder',
      severity: 'error',
      comment:
        'A shipped module imports dev/ or test/ (simulators, stand-ins, the local demo), which the package does not ship. Inject what it needs from dev/ instead (as dev/gleantap-notifier.ts gives the CLI its local command).',
      from: { path: SHIPPED },
      to: { path: '^(dev|test)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|cdk[.]out)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
