/**
 * Shared by the browser tests: Debian's Chromium driven by playwright-core (no browser download), a
 * skip line naming the missing package when it is absent, console errors collected, and a screenshot of
 * the page under .ci/artifacts/screenshots/ when a test fails (CI keeps that folder).
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { PATHS } from "../../lib/env";

/** Debian's Chromium (`apt-get install -y chromium`), or LLM_COURSE_CHROMIUM. */
export const CHROMIUM = process.env.LLM_COURSE_CHROMIUM ?? "/usr/bin/chromium";
/** Failure screenshots: CI uploads this folder as an artifact (README, "Browser tests"). */
export const SCREENSHOT_DIR = path.join(PATHS.root, ".ci", "artifacts", "screenshots");

/** Why the browser tests cannot run here (one line naming the package), or undefined when they can. */
export function browserSkipReason(): string | undefined {
  if (!fs.existsSync(CHROMIUM)) return `browser tests skipped: Chromium is missing (${CHROMIUM}); install the Debian package \`chromium\` (apt-get install -y chromium)`;
  return undefined;
}

export async function launchChromium(): Promise<Browser> {
  // --no-sandbox: CI and containers run as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
}

/** Console errors and uncaught page errors, collected from the moment this is called. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
  return errors;
}

/** Runs `work`; on failure saves a full-page screenshot named after the test before rethrowing. */
export async function withScreenshotOnFailure<T>(page: Page, name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const file = path.join(SCREENSHOT_DIR, `${name.replace(/[^\w-]+/g, "-")}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n(screenshot: ${path.relative(PATHS.root, file)})`, { cause: error });
  }
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** The figures' state, for failure messages: how many are drawn, and what the others show. */
const FIGURE_STATE = `[...document.querySelectorAll(".llm-course-plot")].map((el) => el.querySelector(".main-svg") ? "dessinée" : "non dessinée : " + el.textContent.slice(0, 160))`;

/** Waits until `expression` is true in the page; on timeout the error says what was awaited and the figures' state. */
export async function waitUntil(page: Page, expression: string, what: string, timeoutMs = 30_000, stateExpression = FIGURE_STATE): Promise<void> {
  try {
    await page.waitForFunction(expression, undefined, { timeout: timeoutMs, polling: 250 });
  } catch (error) {
    const state = await page.evaluate(stateExpression).catch(() => "(page unreadable)");
    throw new Error(`${what}: not true after ${timeoutMs / 1000} s (${error instanceof Error ? error.message.split("\n")[0] : String(error)})\nstate: ${JSON.stringify(state)}`);
  }
}
