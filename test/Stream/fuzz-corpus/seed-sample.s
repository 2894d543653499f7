# lapa instruction stream
.stream version=1 fingerprint=0x0123456789abcdef config=lapa-28nm
.tensor x role=input type=i8 shape=[4,64] address=0x0
.tensor embed.weight role=weight type=i8 shape=[8,64] address=0x100 scale=embed.scale
.tensor embed.scale role=weight type=f32 shape=[] address=0x300 constant=0x20
.tensor y role=output type=f32 shape=[4,16] address=0x400
.constants 64
.data 0x0 01080f161d242b323940474e555c636a71787f868d949ba2a9b0b7bec5ccd3da
.data 0x20 e1e8eff6fd040b121920272e353c434a51585f666d747b828990979ea5acb3ba
.predictor lapa keep_ratio=0.25
.predictor sanger select=threshold threshold=0.002 keep_ratio=1
.stage prediction layer=0 first=0 end=3
.stage attention layer=0 first=3 end=22
load dram=0x0 dst=b3+0x0 rows=4 row_bytes=64 dram_stride=64 buf_stride=64 signal=[mac]  # 0
store dram=0x400 src=b2+0x100 rows=4 row_bytes=64 dram_stride=64 buf_stride=64 wait=[vector]  # 1
load_rows dram=0x100 dst=b3+0x100 rows=4 row_bytes=64 dram_stride=64 buf_stride=64 indices=b2+0x200 index_limit=8  # 2
gemm a=b3+0x0 b=b4+0x0 c=b2+0x400 m=4 n=16 k=64 lda=64 ldb=16 ldc=16 row_mask=b1+0x10 row_mask_bit=3 flags=[accumulate,gather] wait=[dma] signal=[vector]  # 3
gemm a=b3+0x0 b=b4+0x0 c=b2+0x400 m=4 n=16 k=64 lda=64 ldb=64 ldc=16 flags=[trans_b]  # 4
sddmm a=b2+0x0 b=b0+0x0 s=b2+0x1000 m=4 t=8 k=64 lda=64 ldb=64 ldc=8 indices=b1+0x2000 key_base=0  # 5
spmm p=b2+0x0 b=b0+0x0 o=b2+0x2000 m=4 n=64 t=8 lda=8 ldb=64 ldc=64 indices=b1+0x2000 key_base=0  # 6
softmax s=b2+0x1000 p=b2+0x1100 m=4 t=8 scale=0.125 row_scale=none  # 7
dequant x=b2+0x400 y=b2+0x100 m=4 n=16 row_scale=b2+0x3000 col_scale=none scale=0.5 ldx=16 ldy=16 flags=[accumulate] wait=[mac] signal=[dma]  # 8
quant x=b2+0x100 y=b3+0x400 m=4 n=16 bits=8 scales=b2+0x3000 ldx=16 ldy=16 flags=[per_tensor]  # 9
add a=b2+0x100 b=b3+0x800 y=b2+0x500 m=4 n=16 lda=16 ldb=16 ldy=16 flags=[row_broadcast]  # 10
mul a=b2+0x100 b=b3+0x800 y=b2+0x500 m=4 n=16 lda=16 ldb=16 ldy=16  # 11
rms_norm x=b2+0x100 gain=b3+0x800 y=b2+0x500 m=4 n=16 eps=1e-05 ldx=16 ldy=16  # 12
layer_norm x=b2+0x100 gain=b3+0x800 y=b2+0x500 m=4 n=16 eps=1e-06 ldx=16 ldy=16 bias=b3+0x840  # 13
silu x=b2+0x100 y=b2+0x500 m=4 n=16 ldx=16 ldy=16  # 14
gelu x=b2+0x100 y=b2+0x500 m=4 n=16 ldx=16 ldy=16  # 15
rope x=b2+0x100 y=b2+0x500 m=4 n=16 ldx=16 ldy=16 cos=b2+0x600 head_dim=8 sin=b2+0x640 flags=[half_split]  # 16
log_encode x=b2+0x100 codes=b1+0x0 m=4 n=16 bits=16 ldx=16 ldc=16 signal=[shift]  # 17
key_predict x=b3+0x0 w=b4+0x0 y=b1+0x400 m=4 n=16 k=64 ldx=64 ldw=16 ldy=16 flags=[accumulate]  # 18
shift_accumulate q=b1+0x0 khat=b1+0x400 p=b1+0x800 m=4 n=8 d=16 query_base=0 round=1 survivors=b1+0x1000 record=0 flags=[causal] wait=[encode] signal=[filter]  # 19
filter q=b1+0x0 p=b1+0x800 m=4 n=8 d=16 query_base=0 round=0 survivors=b1+0x1000 record=0 wait=[shift] signal=[shift]  # 20
topk p=b1+0x800 survivors=b1+0x1000 indices=b1+0x2000 m=4 n=8 t=2 query_base=0 needed=b1+0x3000 record=0 logit_scale=0.03125 flags=[causal] signal=[mac]  # 21
predict q=b1+0x0 k=b1+0x400 indices=b1+0x2000 m=4 n=8 t=2 query_base=0 d=16 needed=b1+0x3000 record=1 query_step=b1+0x3100 key_step=b1+0x3104 extra=none  # 22
importance p=b2+0x1100 indices=b1+0x2000 sums=b2+0x3800 m=4 t=8 n=16 key_base=0  # 23
relu x=b2+0x500 y=b2+0x3900 m=4 n=16 ldx=16 ldy=16  # 24
