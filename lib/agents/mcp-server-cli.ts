/**
 * The course tools as an MCP server over stdio: `npx tsx lib/agents/mcp-server-cli.ts` (what
 * `courseMcpServerCommand()` starts). An MCP client (the course's, Claude Desktop, an IDE…) talks JSON-RPC on
 * its stdin/stdout; logs go to stderr, since stdout carries the protocol.
 */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { COURSE_TOOLS } from "./courseTools";
import { createMcpServer } from "./mcp";

async function main(): Promise<void> {
  const server = createMcpServer(COURSE_TOOLS);
  await server.connect(new StdioServerTransport());
  console.error(`llm-course-tools MCP server: ${COURSE_TOOLS.map((tool) => tool.name).join(", ")} (stdio)`);
  // The client closing stdin ends the session: exit then.
  process.stdin.on("end", () => process.exit(0));
}

main().catch((error) => {
  console.error(`llm-course-tools MCP server failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
