/**
 * The search benchmark's corpus (issue 22): short messages of mixed Chinese and English text,
 * made by a deterministic generator. Shared by `mychat bench-seed --messages` (written in bulk
 * into the message store) and `npm run bench -- search` (sent over the WebSocket), so both
 * corpora answer the same queries.
 */

const ZH = [
  '我们',
  '周末',
  '公园',
  '散步',
  '吃饭',
  '开会',
  '项目',
  '进度',
  '明天',
  '下午',
  '天气',
  '不错',
  '晚上',
  '电影',
  '地铁',
  '加班',
  '周报',
  '预算',
  '客户',
  '需求',
  '测试',
  '上线',
  '数据库',
  '服务器',
  '天安门',
  '火车站',
  '咖啡馆',
  '图书馆',
  '生日快乐',
  '新年快乐',
  '注意安全',
  '辛苦了',
  '收到',
  '没问题',
  '好的',
  '谢谢',
  '麻烦你',
  '老师',
  '同学',
  '孩子',
  '学校',
  '医院',
  '超市',
  '快递',
  '资料',
  '文件',
  '合同',
  '发票',
  '报销',
  '出差',
  '机票',
  '酒店',
  '会议室',
  '消耗',
  '模型',
  '效果',
];
const EN = [
  'meeting',
  'project',
  'deadline',
  'review',
  'release',
  'server',
  'database',
  'token',
  'model',
  'budget',
  'report',
  'weekend',
  'lunch',
  'coffee',
  'ticket',
  'invoice',
  'contract',
  'design',
  'feedback',
  'update',
  'schedule',
  'status',
  'build',
  'deploy',
  'search',
  'index',
  'query',
];
/** A deterministic generator: the same corpus for the same seed. */
export function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** One message of 4-16 words: mostly Chinese, some English and numbers, now and then an emoji. */
export function corpusText(r: () => number): string {
  const n = 4 + Math.floor(r() * 13);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const x = r();
    if (x < 0.65) parts.push(ZH[Math.floor(r() * ZH.length)]!);
    else if (x < 0.9) parts.push(` ${EN[Math.floor(r() * EN.length)]!} `);
    else if (x < 0.97) parts.push(String(Math.floor(r() * 100000)));
    else parts.push('😀');
  }
  return parts.join('').trim() || '好的';
}
