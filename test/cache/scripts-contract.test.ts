import { registerScriptsContract } from "lease-cache/testing";
import { afterAll, beforeAll } from "vitest";
import { startUpstashSubject, type UpstashSubject } from "./upstash-subject";

let subject: UpstashSubject;
beforeAll(async () => {
  subject = await startUpstashSubject();
});
afterAll(async () => {
  await subject.close();
});

registerScriptsContract("real Redis through the Upstash REST emulator", () => subject);
