/**
 * Supervised fine-tuning data: a conversation rendered by the chat template (./template), tokenized, with
 * a loss mask that is 1 on the assistant's tokens only — everything after an `<|assistant|>` token up to
 * and including its `<|end|>` (the model must learn to stop) — and 0 on the system, user and tool
 * messages, the role tokens and the newlines between messages: the model learns to answer, not to write
 * questions. Conversations are then packed one after another into rows of blockSize + 1 ids, padded with
 * `<|endoftext|>` (weight 0), for the GPT's weighted-rows training.
 */
import { weightedRowsDataset, type WeightedRowsDataset } from "../data/weighted-rows";
import type { ByteBpeTokenizer } from "../tokenizers/byteBpe";
import { CHAT_TOKEN_IDS, encodeChat } from "./tokenizer";
import { renderChat, type ChatMessage, type ChatTool } from "./template";

/** A tokenized conversation and its loss mask (1 = an assistant token the model is trained to produce). */
export interface MaskedConversation {
  ids: number[];
  mask: number[];
}

/** The assistant-only loss mask of a tokenized conversation (see the module comment). */
export function assistantMask(ids: readonly number[]): number[] {
  let inAssistant = false;
  return ids.map((id) => {
    if (id === CHAT_TOKEN_IDS.assistant) {
      inAssistant = true;
      return 0;
    }
    if (!inAssistant) return 0;
    if (id === CHAT_TOKEN_IDS.end) inAssistant = false;
    return 1;
  });
}

/** A conversation → its ids (template-rendered, no generation prompt) and its assistant-only mask. */
export function conversationTokens(tokenizer: ByteBpeTokenizer, messages: readonly ChatMessage[], tools?: readonly ChatTool[]): MaskedConversation {
  const ids = encodeChat(tokenizer, renderChat(messages, { tools, addGenerationPrompt: false }));
  return { ids, mask: assistantMask(ids) };
}

/**
 * Plain text to train on with every token in the loss (the first excepted: nothing before it predicts it),
 * closed by `<|endoftext|>`: pre-training text mixed into fine-tuning (see lib/chat/build's recipe).
 */
export function textTokens(tokenizer: ByteBpeTokenizer, text: string): MaskedConversation {
  const ids = [...encodeChat(tokenizer, text), CHAT_TOKEN_IDS.endOfText];
  return { ids, mask: ids.map((_, i) => (i === 0 ? 0 : 1)) };
}

/** Packed rows and how many conversations were too long to fit one row (left out). */
export interface PackedConversations {
  data: WeightedRowsDataset;
  conversations: number;
  dropped: number;
}

/**
 * Packs conversations in order into rows of blockSize + 1 ids: each row takes whole conversations while
 * they fit, the rest is `<|endoftext|>` padding. The weight of target t (ids[t + 1]) is that id's mask.
 * A conversation longer than a row is dropped (and counted), never cut.
 */
export function packConversations(conversations: readonly MaskedConversation[], blockSize: number): PackedConversations {
  const rows: number[][] = [];
  const weights: number[][] = [];
  let ids: number[] = [];
  let mask: number[] = [];
  let dropped = 0;
  const flush = () => {
    if (ids.length === 0) return;
    const padding = blockSize + 1 - ids.length;
    ids.push(...new Array<number>(padding).fill(CHAT_TOKEN_IDS.endOfText));
    mask.push(...new Array<number>(padding).fill(0));
    rows.push(ids);
    weights.push(mask.slice(1));
    ids = [];
    mask = [];
  };
  for (const conversation of conversations) {
    if (conversation.ids.length > blockSize + 1) {
      dropped++;
      continue;
    }
    if (ids.length + conversation.ids.length > blockSize + 1) flush();
    ids.push(...conversation.ids);
    mask.push(...conversation.mask);
  }
  flush();
  return { data: weightedRowsDataset(rows, weights, blockSize), conversations: conversations.length - dropped, dropped };
}
