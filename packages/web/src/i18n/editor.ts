/**
 * Texts of the video trim screen, the image editor's text and mosaic tools and the contact
 * detail panel (issue 24 items 10 and 11), loaded with them (en.ts and zh-CN.ts are at their
 * size limit). Both languages must have the same keys (editor.test.ts checks).
 */
export const editorEn = {
  editor: {
    trim: {
      title: 'Trim video',
      open: 'Trim {name}',
      player: 'Preview of the chosen part',
      frames: 'Frames of the video',
      start: 'Start',
      end: 'End',
      range: 'From {start} to {end} ({length})',
      done: 'Use this part',
      whole: 'Whole video',
      trimmed: 'Trimmed: {start}–{end}',
      cannotRead: 'This video cannot be previewed here; it will be sent whole.',
      playPart: 'Play the chosen part',
      pause: 'Pause',
    },
    image: {
      text: 'Text',
      textInput: 'Text to add',
      textPlaceholder: 'Your text',
      addText: 'Add text',
      textColor: 'Text colour {color}',
      mosaic: 'Mosaic',
      mosaicHint: 'Drag over an area to pixelate it',
      textHint: 'Drag on the picture (or use the arrow keys) to place the text',
    },
    contact: {
      id: 'MyChat ID',
      region: 'Region',
      sharedGroups: 'Groups in common',
      noSharedGroups: 'No groups in common',
      chat: 'Our chat',
      mute: 'Mute notifications',
      pin: 'Pin chat',
      call: 'Call',
      copyId: 'Copy MyChat ID',
    },
  },
};

export const editorZhCN: typeof editorEn = {
  editor: {
    trim: {
      title: '剪辑视频',
      open: '剪辑 {name}',
      player: '所选片段预览',
      frames: '视频画面',
      start: '开始',
      end: '结束',
      range: '从 {start} 到 {end}（{length}）',
      done: '使用此片段',
      whole: '完整视频',
      trimmed: '已剪辑：{start}–{end}',
      cannotRead: '此视频无法在这里预览，将发送完整视频。',
      playPart: '播放所选片段',
      pause: '暂停',
    },
    image: {
      text: '文字',
      textInput: '要添加的文字',
      textPlaceholder: '输入文字',
      addText: '添加文字',
      textColor: '文字颜色 {color}',
      mosaic: '马赛克',
      mosaicHint: '在图片上拖出区域即可打码',
      textHint: '在图片上拖动（或用方向键）放置文字',
    },
    contact: {
      id: 'MyChat 号',
      region: '地区',
      sharedGroups: '共同群聊',
      noSharedGroups: '暂无共同群聊',
      chat: '我们的聊天',
      mute: '消息免打扰',
      pin: '置顶聊天',
      call: '音视频通话',
      copyId: '复制 MyChat 号',
    },
  },
};
