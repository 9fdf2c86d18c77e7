import { CreateExampleMediaAssets1796342400000 } from './1796342400000-create-example-media-assets';

/** The example app's own migrations, to run together with `vmegMigrations`. */
export const exampleMigrations = [CreateExampleMediaAssets1796342400000];
