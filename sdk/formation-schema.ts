import { z } from "zod";
import { AlertThresholdsSchema, ProcessSpecSchema } from "./input-schemas";
import { AppNameSchema, SpaceNameSchema } from "./names";
import { HEROKU } from "./settings";

/**
 * The formation file `dynoform check` reads (JSON or YAML): the shape only. The tier rules,
 * which need the whole formation at once, run after it parses. Size names are checked by the
 * rules too, so an unknown size gets a "did you mean" instead of an enum dump.
 */
export const FormationFileSchema = z.object({
  app: AppNameSchema,
  processes: z.record(z.string(), ProcessSpecSchema.extend({ size: z.string().default(HEROKU.defaultSize) })),
  preboot: z.boolean().optional(),
  space: z.object({ name: SpaceNameSchema, shield: z.boolean().default(false) }).optional(),
  /** Process type → threshold alerts (the webhook is the program's business, not the file's). */
  alerts: z.record(z.string(), AlertThresholdsSchema).optional(),
});

export type FormationFile = z.infer<typeof FormationFileSchema>;
