// Byte-exact outputs of tpm2-tools 5.4 on swtpm (captured once, by hand), the independent source
// of truth for the unit tests: nothing here was produced by the code under test.
//
//   tpm2_createek -G rsa -c ek.ctx -u ek.pub; tpm2_readpublic -c ek.ctx -n ek.name
//   tpm2_createak -C ek.ctx -c ak.ctx -G rsa -g sha256 -s rsassa -u ak.pub -n ak.name
//   tpm2_createek -G ecc -c eke.ctx -u eke.pub
//   tpm2_createak -C eke.ctx -c ake.ctx -G ecc -g sha256 -s ecdsa -u ake.pub -n ake.name
//   echo -n 0123456789abcdef0123456789abcdef > secret.bin
//   tpm2_makecredential -T none -u ek.pub -s secret.bin -n $(xxd -p -c 100 ak.name) -o cred.out
//   tpm2_quote -c ak.ctx -l sha256:0,1,2,16+sha1:3 -q 0102030405060708 -m q.msg -s q.sig -g sha256
//     (all five PCRs still zero)
//   tpm2_pcrextend 16:sha256=aa…aa,sha1=bb…bb
//   tpm2_quote -c ake.ctx -l sha256:16,23 -q aabbccdd -m qe.msg -s qe.sig -o qe.pcrs -F values -g sha256
//   tpm2_nvdefine 0x01500001 -C o -s 32 -a "ownerread|ownerwrite|authread"; tpm2_nvreadpublic 0x01500001

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));

/** RSA-2048 EK (L-1 template), TPM2B_PUBLIC as written by tpm2_createek -u. */
export const RSA_EK_PUB = hex(
  "013a0001000b000300b20020837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa00060080004300100800000000000100a33239891ac43d0ce492b3af64d244c9e95c2ac6dba67e30e02adabe34db4fbaea4bb47255655fb1f97118671889db2fb46908bac4f093f35c0bffcbcb4245f0cc1d165f8c0a01637f96ca032bc03a580bf65277cdf33ed5d2a41895e275476d474a296307981fb826de389e28e047ce922da009f9151c209e7cfdce534f2ab59189e5630ef502f7e27ff0108e6e69333adf96963d310d84c8177cfa21632e4a782413b7a97c323b3bf684c86555889252c796bb24d10ad5ac8965164412a3b667ff34b9e53724d008c506cc6168a2b01336f6db66752068cdb2337c7d472f3300db562e9a7d22c70ba32f768c9ee4482c9acd552c17c77592a53b3d12746443",
);
/** Its Name, as written by tpm2_readpublic -n. */
export const RSA_EK_NAME = hex("000b0396e45ff984c19d8587bc3170d6aebdcde183259f6636b7857b0a6fdfdc1f51");
/** RSA-2048 RSASSA-SHA256 AK, TPM2B_PUBLIC as written by tpm2_createak -u. */
export const RSA_AK_PUB = hex(
  "01180001000b00050072000000100014000b0800000000000100b21169ecd87698f106a380a78b624ba2f4ca4758ebef710ad5fdf62e5d91aea6c563c5c8f45e653a9b57e59b42671aa9507472a46410acee836a38278cdbbe848570e3e7626a84643c63198ba6fb0223ba7addd1057c6d4f68d13664a4c7c3670aaa0350bd70a0505d668daaf22ea5fc6b1580ea63d0f7a90c524aa6a57a753ede78e0cf4b392c629c2addfd18747b11148d36ef295973e523227d8979551ca9db455dd0178e21f4eda3e8d7caec1e7097112fdeebeb8b1e0c8420a1583114f12a49436950d76f84659d71b6adae38b6b7e29eba6d0a14d997297ccb194482afd49e06f6f5017bdae01e2bdf7366a4cbb74871e4086b6191d17a482224c44117",
);
/** Its Name, as written by tpm2_createak -n. */
export const RSA_AK_NAME = hex("000b3363277bbb34823ffe16d8bd28becc9183ec5545d536e8e05377c2d21319bb9d");
/** ECC P-256 EK (L-2 template), TPM2B_PUBLIC. */
export const ECC_EK_PUB = hex(
  "007a0023000b000300b20020837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa00060080004300100003001000205368c93ac772c5b2574435f25dc519a3e49d2e8d2522a2f6f460f97d6c7036c9002059484d45a86fb70e7bb51729ea098f8f70eebaf640ddcda84df208e62dc26dad",
);
/** ECC P-256 ECDSA-SHA256 AK, TPM2B_PUBLIC, and its Name. */
export const ECC_AK_PUB = hex(
  "00580023000b00050072000000100018000b000300100020d559e222a31e3d8646005c5099451186d8ffb6c23cac86613a9bc3abe5724af200204b9018825251ca6f5c6ca439aae3761f59d52b710499f6df3bc2bb9e2b5409ae",
);
export const ECC_AK_NAME = hex("000bcbbfe65c1ce4e718e31ae5be3e2372ff43040a297b36824fba5ae9a2099af194");

/** tpm2_makecredential -T none output for RSA_EK_PUB / RSA_AK_NAME. */
export const CRED_FILE = hex(
  "badcc0de0000000100440020d4a7612628728ec7454fd22d247ba21f85fc58b1a7620855c09f62e270977e1c3e461966f6988e607aa13148e92e0c8d745e6516024076cf12474b14334a123fe73601009d3bd9c4d198520af9ae672bcf3d5e17a5435c9f141fdfe0b6d46be77269a06211d2875d36eef576c9a7510dc1195cf703ab3965a11c30d3d78614b0acce250a866d4d09f8efa377eb327de4cd0027c93842e9cf692fef9be8e9d3f60c5fc138b2dd28ce154c8c4c76f0a2a5970296d1c7a66dbf27e6bfca93060bde91219334163361516e06266220997f6df233ed043e488132e87248cb364bf546fb23d3056ebc808f8e59fa16c248f3d68f3d5140360bcf741184d6fb1d4fc46fdc8f3fcae409764684a90fd1152be049000006bf52a654b82b8ce0649ed35bf9e1991ec135b9c0a3808f80ef7eee0b47c2dc994f9d4d82c204cf22d294a192f1347f6849",
);

/** tpm2_quote with RSA_AK: TPMS_ATTEST (-m), TPMT_SIGNATURE (-s), nonce (-q). */
export const RSA_QUOTE = {
  message: hex(
    "ff54434780180022000bdd6ccde1b7b714d3cb1f888c2d17e9600c0cd2e32ed2849fba926e58c71bee60000801020304050607080000000000002519000000010000000001201910230016363600000002000b0307000100040308000000203b18c58c739716e76429634a61375c45b3b5cd470c22ab6d3e14cee23dd992e1",
  ),
  signature: hex(
    "0014000b0100a251610879818467d7f833db5086ba491494ef24a9eef2f078371bc3d3147676eec83384ec7dd0ad861a6905df45e1bbf9b019628baeb9b9cb43c707892c2891cc269e5664aa30a6cf1b66ea2dc6403b057fbec04f2307d8e5bd003ba0cb40a2a383a8c141db4a3a35f82ee7aaeb9361c11dcf0f4d49726d460f3fa8ceab262eba872ab26a105ecb79f8f57413bac07c0debd31c2be049cb4fd27b753065e3de6811691c54c1266112278b71825b26f1494cc36ca0e12246995596261667f34c1ef046ec700fb8f20076ab59aac0f970907b85eedf0cabb34bf1a11293cd1c2a2fc7d8860fa1de2040272f1d6f6e6982543bde42bfaa5fe266f4b9383051a0b9",
  ),
  nonce: hex("0102030405060708"),
  /** sha256:0,1,2,16 and sha1:3, all zero at the time. */
  sha256: [0, 1, 2, 16],
  sha1: [3],
};

/** tpm2_quote with ECC_AK over sha256:16,23; pcrs as written with -F values (concatenated). */
export const ECC_QUOTE = {
  message: hex(
    "ff54434780180022000b9f13ff5986d61a5778f565c40e380e5ee3f8a1b0e7b87c3f2a063c865336d96f0004aabbccdd000000000005bc5c000000010000000001201910230016363600000001000b030000810020de69556b6689f92fbbb325a32c8aa2aeb2f15de8b023cc35e6ed151924a909da",
  ),
  signature: hex(
    "0018000b00205c0c33f2682d2233947b9d50a5c941f9d2af7ee2c41f7008a685d1d697bdc30700205cc2744d91902b0c3e0232dd6544d936d4e84eb331d4dc4020473fbf578c0dc3",
  ),
  nonce: hex("aabbccdd"),
  pcrValues: hex(
    "9ef814b42fa0be12d197c44d3e8e03441a4b1118237658368ba1351090e556ed0000000000000000000000000000000000000000000000000000000000000000",
  ),
  sha256: [16, 23],
};

/** tpm2_nvreadpublic 0x01500001: the fields it printed and the Name it printed. */
export const NV_INDEX = {
  nvIndex: 0x01500001,
  nameAlg: 0x000b,
  attributes: 0x00060002,
  dataSize: 32,
  name: hex("000b5182ea823d49c98cb6155483d77cf13d6048886911fe6aa70310ddc13ca3407a"),
};
