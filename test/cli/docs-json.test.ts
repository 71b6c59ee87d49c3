import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Every ```json block of the docs is what a config file may hold: plain JSON, which `legacy-idp` reads with
 * JSON.parse (no comments, no trailing commas), so a block copied as it is loads. A block may be a fragment, one
 * or more `"key": value` members of a larger file. A ```jsonc block shows a file that has comments on purpose
 * (the Microsoft sample read by the `ms-sample` preset); without its `//` comments it must be JSON too.
 */

const files = ['README.md', ...readdirSync('docs', { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.md')).map((file) => join('docs', file))];

interface Block {
  where: string;
  language: 'json' | 'jsonc';
  text: string;
}

function jsonBlocks(file: string): Block[] {
  const markdown = readFileSync(file, 'utf8');
  // A fence may be indented (inside a list item); its closing fence has the same indentation.
  const fence = /^( *)```(jsonc?)[ \t]*\n([\s\S]*?)^\1```/gmu;
  return [...markdown.matchAll(fence)].map((match) => ({
    where: `${file}:${markdown.slice(0, match.index).split('\n').length}`,
    language: match[2] as 'json' | 'jsonc',
    text: match[3] ?? '',
  }));
}

/** The JSON.parse error of `text` as a document or else as the members of an object; undefined when it parses. */
function parseError(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    try {
      JSON.parse(`{${text}}`);
      return undefined;
    } catch {
      return (error as Error).message;
    }
  }
}

/** `//` comments outside strings removed. */
function withoutComments(text: string): string {
  return text.replace(/("(?:[^"\\\n]|\\.)*")|\/\/[^\n]*/gu, (all, string: string | undefined) => string ?? '');
}

describe('docs: JSON examples', () => {
  const blocks = files.flatMap(jsonBlocks);

  it('finds the examples (the docs have many)', () => {
    expect(blocks.length).toBeGreaterThan(10);
  });

  it('every ```json block is plain JSON (a config file holds no comments)', () => {
    const broken = blocks.filter((block) => block.language === 'json').flatMap((block) => {
      const error = parseError(block.text);
      return error === undefined ? [] : [`${block.where}: ${error}`];
    });
    expect(broken).toEqual([]);
  });

  it('every ```jsonc block is JSON once its comments are removed', () => {
    const broken = blocks.filter((block) => block.language === 'jsonc').flatMap((block) => {
      const error = parseError(withoutComments(block.text));
      return error === undefined ? [] : [`${block.where}: ${error}`];
    });
    expect(broken).toEqual([]);
  });
});
