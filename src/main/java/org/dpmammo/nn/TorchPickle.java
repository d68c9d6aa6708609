package org.dpmammo.nn;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A restricted reader of the pickles that {@code torch.save} writes for a state dict. It is an interpreter of data
 * only: it knows the opcodes that build strings, numbers, tuples, lists and dicts, and a fixed allow-list of
 * globals — {@code collections.OrderedDict}, {@code torch._utils._rebuild_tensor_v2} and {@code _rebuild_parameter},
 * and the {@code torch.*Storage} types — which it never looks up or calls: each is a token that REDUCE turns into
 * the value it describes (an empty dict, a {@link TensorRef}). Any other global (os.system, builtins.eval, a model
 * class), any other opcode (INST, OBJ, NEWOBJ, PERSID, EXT…) and any malformed byte sequence is refused with a
 * {@link PickleException} whose one-line message names it and its byte position. Nothing in a file can make this
 * class run code or instantiate a class of the file's choosing.
 *
 * <p>Bounds: every length is checked against the bytes left before anything is allocated, integers that size
 * tensors must fit a long, and the value stack and memo grow by at most one entry per opcode, so memory is bounded
 * by the pickle's length.
 *
 * <p>Values: String, Long, Double, Boolean, {@link #NONE}, {@link Tuple}, List (pickle list), Map (dict and
 * OrderedDict, insertion order), {@link StorageRef} (a persistent id) and {@link TensorRef}.
 */
public final class TorchPickle {
    /** The element types of torch's typed storages, by the name torch pickles them under. */
    public enum StorageType {
        FLOAT("FloatStorage", 4), DOUBLE("DoubleStorage", 8), HALF("HalfStorage", 2), BFLOAT16("BFloat16Storage", 2),
        LONG("LongStorage", 8), INT("IntStorage", 4), SHORT("ShortStorage", 2), CHAR("CharStorage", 1),
        BYTE("ByteStorage", 1), BOOL("BoolStorage", 1);

        public final String pickleName;
        public final int bytes;

        StorageType(String pickleName, int bytes) {
            this.pickleName = pickleName;
            this.bytes = bytes;
        }
    }

    /** A storage as a persistent id names it: its key (a file in the archive), element type and element count. */
    public record StorageRef(String key, StorageType type, long numel) {}

    /** A tensor as {@code _rebuild_tensor_v2} describes it: a strided view into a storage. */
    public record TensorRef(StorageRef storage, long offset, long[] size, long[] stride) {}

    /** An immutable pickle tuple. */
    public record Tuple(List<Object> items) {
        public int size() {
            return items.size();
        }

        public Object get(int i) {
            return items.get(i);
        }
    }

    /** Python's None. */
    public static final Object NONE = new Object() {
        @Override
        public String toString() {
            return "None";
        }
    };

    /** Why a pickle was refused, in one line. */
    public static final class PickleException extends Exception {
        PickleException(String message) {
            super(message);
        }
    }

    /** Which persistent ids a file format uses: the zip format's 5-tuple, or the legacy format's 6-tuple. */
    public enum Format { ZIP, LEGACY }

    /** The allowed globals, each a token REDUCE knows how to interpret; the storage types are tokens too. */
    private enum Callable { ORDERED_DICT, REBUILD_TENSOR_V2, REBUILD_PARAMETER }

    private static final Object MARK_SENTINEL = new Object();
    private static final String[] OPCODE_NAMES = new String[256];

    static {
        String[][] names = {
            {"(", "MARK"}, {".", "STOP"}, {"0", "POP"}, {"1", "POP_MARK"}, {"2", "DUP"}, {"F", "FLOAT"}, {"I", "INT"},
            {"J", "BININT"}, {"K", "BININT1"}, {"L", "LONG"}, {"M", "BININT2"}, {"N", "NONE"}, {"P", "PERSID"},
            {"Q", "BINPERSID"}, {"R", "REDUCE"}, {"S", "STRING"}, {"T", "BINSTRING"}, {"U", "SHORT_BINSTRING"},
            {"V", "UNICODE"}, {"X", "BINUNICODE"}, {"a", "APPEND"}, {"b", "BUILD"}, {"c", "GLOBAL"}, {"d", "DICT"},
            {"}", "EMPTY_DICT"}, {"e", "APPENDS"}, {"g", "GET"}, {"h", "BINGET"}, {"i", "INST"}, {"j", "LONG_BINGET"},
            {"l", "LIST"}, {"]", "EMPTY_LIST"}, {"o", "OBJ"}, {"p", "PUT"}, {"q", "BINPUT"}, {"r", "LONG_BINPUT"},
            {"s", "SETITEM"}, {"t", "TUPLE"}, {")", "EMPTY_TUPLE"}, {"u", "SETITEMS"}, {"G", "BINFLOAT"},
            {"\u0080", "PROTO"}, {"\u0081", "NEWOBJ"}, {"\u0082", "EXT1"}, {"\u0083", "EXT2"}, {"\u0084", "EXT4"},
            {"\u0085", "TUPLE1"}, {"\u0086", "TUPLE2"}, {"\u0087", "TUPLE3"}, {"\u0088", "NEWTRUE"},
            {"\u0089", "NEWFALSE"}, {"\u008a", "LONG1"}, {"\u008b", "LONG4"}, {"B", "BINBYTES"},
            {"C", "SHORT_BINBYTES"}, {"\u008c", "SHORT_BINUNICODE"}, {"\u008d", "BINUNICODE8"},
            {"\u008e", "BINBYTES8"}, {"\u008f", "EMPTY_SET"}, {"\u0090", "ADDITEMS"}, {"\u0091", "FROZENSET"},
            {"\u0092", "NEWOBJ_EX"}, {"\u0093", "STACK_GLOBAL"}, {"\u0094", "MEMOIZE"}, {"\u0095", "FRAME"},
            {"\u0096", "BYTEARRAY8"}, {"\u0097", "NEXT_BUFFER"}, {"\u0098", "READONLY_BUFFER"},
        };
        for (String[] n : names) OPCODE_NAMES[n[0].charAt(0)] = n[1];
    }

    private final ByteBuffer in;
    private final Format format;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();
    private final Map<String, StorageRef> storages;

    private TorchPickle(ByteBuffer in, Format format, Map<String, StorageRef> storages) {
        this.in = in.slice().order(ByteOrder.LITTLE_ENDIAN);
        this.format = format;
        this.storages = storages;
    }

    /**
     * Reads one pickle starting at the buffer's position and leaves the position after its STOP. Storages named by
     * persistent ids are added to {@code storages} (key → reference); a key named twice must agree.
     */
    public static Object read(ByteBuffer buffer, Format format, Map<String, StorageRef> storages) throws PickleException {
        TorchPickle p = new TorchPickle(buffer, format, storages);
        Object result = p.run();
        buffer.position(buffer.position() + p.in.position());
        return result;
    }

    private Object run() throws PickleException {
        while (true) {
            int at = in.position();
            if (!in.hasRemaining()) throw fail(at, "pickle ends without STOP");
            int op = in.get() & 0xFF;
            switch (op) {
                case 0x80 -> { // PROTO
                    int v = u8();
                    if (v < 2 || v > 5) throw fail(at, "pickle protocol " + v + " (torch.save writes 2)");
                }
                case 0x95 -> { // FRAME: a length hint only
                    long n = in.remaining() >= 8 ? in.getLong() : -1;
                    if (n < 0 || n > in.remaining()) throw fail(at, "FRAME of " + Long.toUnsignedString(n) + " bytes exceeds the pickle");
                }
                case '.' -> {
                    if (stack.size() != 1 || !marks.isEmpty()) throw fail(at, "STOP with " + stack.size() + " values and " + marks.size() + " open marks");
                    return stack.get(0);
                }
                case '(' -> marks.add(stack.size());
                case '}' -> push(new LinkedHashMap<Object, Object>());
                case ']' -> push(new ArrayList<Object>());
                case ')' -> push(new Tuple(List.of()));
                case 't' -> push(new Tuple(popMark(at)));
                case 0x85, 0x86, 0x87 -> {
                    int n = op - 0x84;
                    List<Object> items = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) items.add(0, pop(at));
                    push(new Tuple(Collections.unmodifiableList(items)));
                }
                case 'X' -> push(string(at, u32(at)));
                case 0x8c -> push(string(at, u8()));
                case 'J' -> push((long) need(at, 4).getInt());
                case 'K' -> push((long) u8());
                case 'M' -> push((long) (need(at, 2).getShort() & 0xFFFF));
                case 0x8a -> push(long1(at));
                case 'G' -> push(Double.longBitsToDouble(Long.reverseBytes(need(at, 8).getLong()))); // big-endian
                case 'N' -> push(NONE);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'q' -> memo.put((long) u8(), peek(at));
                case 'r' -> memo.put((long) u32(at), peek(at));
                case 0x94 -> memo.put((long) memo.size(), peek(at));
                case 'h' -> push(memoGet(at, u8()));
                case 'j' -> push(memoGet(at, u32(at)));
                case 'c' -> push(global(at, line(at), line(at)));
                case 0x93 -> {
                    Object name = pop(at), module = pop(at);
                    if (!(module instanceof String m) || !(name instanceof String n)) throw fail(at, "STACK_GLOBAL of non-strings");
                    push(global(at, m, n));
                }
                case 'Q' -> push(persistentLoad(at, pop(at)));
                case 'R' -> {
                    Object args = pop(at), callable = pop(at);
                    push(reduce(at, callable, args));
                }
                case 's' -> {
                    Object value = pop(at), key = pop(at);
                    dictPut(at, dict(at, peek(at)), key, value);
                }
                case 'u' -> {
                    List<Object> kv = popMark(at);
                    if (kv.size() % 2 != 0) throw fail(at, "SETITEMS with an odd number of values");
                    Map<Object, Object> d = dict(at, peek(at));
                    for (int i = 0; i < kv.size(); i += 2) dictPut(at, d, kv.get(i), kv.get(i + 1));
                }
                case 'a' -> {
                    Object v = pop(at);
                    list(at, peek(at)).add(v);
                }
                case 'e' -> {
                    List<Object> vs = popMark(at);
                    list(at, peek(at)).addAll(vs);
                }
                case 'b' -> {
                    // An OrderedDict's instance state: torch's state dicts carry a '_metadata' attribute (module
                    // versions). It is read and dropped; nothing is set on any object.
                    Object state = pop(at);
                    dict(at, peek(at));
                    if (!(state instanceof Map)) throw fail(at, "BUILD with a " + typeName(state) + " state (only a dict's attributes are read)");
                }
                default -> throw fail(at, "opcode " + opcodeName(op) + " is not allowed in a state dict");
            }
        }
    }

    // ---------------------------------------------------------------- the allowed globals and calls

    private Object global(int at, String module, String name) throws PickleException {
        String full = module + "." + name;
        switch (full) {
            case "collections.OrderedDict":
                return Callable.ORDERED_DICT;
            case "torch._utils._rebuild_tensor_v2":
                return Callable.REBUILD_TENSOR_V2;
            case "torch._utils._rebuild_parameter":
                return Callable.REBUILD_PARAMETER;
            default:
                if (module.equals("torch")) {
                    for (StorageType t : StorageType.values()) if (t.pickleName.equals(name)) return t;
                }
                throw fail(at, "GLOBAL " + printable(full) + " is not allowed: a state dict needs only collections.OrderedDict, "
                        + "torch._utils._rebuild_tensor_v2 and torch.*Storage (save model.state_dict(), not the model or other objects)");
        }
    }

    private Object reduce(int at, Object callable, Object args) throws PickleException {
        if (!(args instanceof Tuple a)) throw fail(at, "REDUCE with " + typeName(args) + " arguments");
        if (callable == Callable.ORDERED_DICT) {
            if (a.size() != 0) throw fail(at, "OrderedDict called with " + a.size() + " arguments");
            return new LinkedHashMap<Object, Object>();
        }
        if (callable == Callable.REBUILD_TENSOR_V2) return rebuildTensor(at, a);
        if (callable == Callable.REBUILD_PARAMETER) {
            // _rebuild_parameter(data, requires_grad, backward_hooks): the parameter's tensor is data.
            if (a.size() != 3 || !(a.get(0) instanceof TensorRef t)) throw fail(at, "_rebuild_parameter with arguments " + describe(a));
            emptyHooks(at, a.get(2));
            return t;
        }
        throw fail(at, "REDUCE of " + typeName(callable) + " is not allowed");
    }

    /** _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]). */
    private TensorRef rebuildTensor(int at, Tuple a) throws PickleException {
        if (a.size() != 6 && a.size() != 7) throw fail(at, "_rebuild_tensor_v2 with " + a.size() + " arguments (expected 6 or 7)");
        if (!(a.get(0) instanceof StorageRef storage)) throw fail(at, "_rebuild_tensor_v2 of a " + typeName(a.get(0)) + ", not a storage");
        long offset = nonNegative(at, a.get(1), "storage offset");
        long[] size = longs(at, a.get(2), "size");
        long[] stride = longs(at, a.get(3), "stride");
        if (size.length != stride.length) throw fail(at, "tensor size has " + size.length + " dimensions and stride " + stride.length);
        if (!(a.get(4) instanceof Boolean)) throw fail(at, "_rebuild_tensor_v2 requires_grad is a " + typeName(a.get(4)));
        emptyHooks(at, a.get(5));
        return new TensorRef(storage, offset, size, stride);
    }

    private void emptyHooks(int at, Object hooks) throws PickleException {
        if (!(hooks instanceof Map<?, ?> m) || !m.isEmpty()) throw fail(at, "tensor with backward hooks " + describe(hooks) + " (a state dict has none)");
    }

    /** ('storage', storage type, key, location, numel) in the zip format; the legacy format adds view metadata None. */
    private StorageRef persistentLoad(int at, Object pid) throws PickleException {
        if (pid instanceof Tuple t && t.size() > 0 && "module".equals(t.get(0))) {
            throw fail(at, "the file pickles a whole model (persistent id 'module'); save model.state_dict() instead");
        }
        int n = format == Format.ZIP ? 5 : 6;
        if (!(pid instanceof Tuple t) || t.size() != n || !"storage".equals(t.get(0))) {
            throw fail(at, "persistent id " + describe(pid) + " is not a " + n + "-tuple ('storage', type, key, location, numel" + (n == 6 ? ", None)" : ")"));
        }
        if (!(t.get(1) instanceof StorageType type)) throw fail(at, "persistent id with storage type " + describe(t.get(1)));
        if (!(t.get(2) instanceof String key) || !(t.get(3) instanceof String)) throw fail(at, "persistent id " + describe(pid) + " has no string key and location");
        long numel = nonNegative(at, t.get(4), "storage size");
        if (n == 6 && t.get(5) != NONE) throw fail(at, "legacy storage view " + describe(t.get(5)) + " (only whole storages are read)");
        StorageRef ref = new StorageRef(key, type, numel);
        StorageRef before = storages.putIfAbsent(key, ref);
        if (before != null && !before.equals(ref)) throw fail(at, "storage '" + printable(key) + "' is named as " + before + " and as " + ref);
        return before != null ? before : ref;
    }

    // ---------------------------------------------------------------- stack, memo, operands

    private void push(Object o) {
        stack.add(o);
    }

    private Object pop(int at) throws PickleException {
        int floor = marks.isEmpty() ? 0 : marks.get(marks.size() - 1);
        if (stack.size() <= floor) throw fail(at, "stack underflow");
        return stack.remove(stack.size() - 1);
    }

    /** The top of the stack above the innermost MARK (what CPython's unpickler sees as its stack). */
    private Object peek(int at) throws PickleException {
        int floor = marks.isEmpty() ? 0 : marks.get(marks.size() - 1);
        if (stack.size() <= floor) throw fail(at, "stack underflow");
        return stack.get(stack.size() - 1);
    }

    private List<Object> popMark(int at) throws PickleException {
        if (marks.isEmpty()) throw fail(at, "no MARK to close");
        int from = marks.remove(marks.size() - 1);
        List<Object> sub = stack.subList(from, stack.size());
        List<Object> items = List.copyOf(sub);
        sub.clear();
        return items;
    }

    private Object memoGet(int at, long index) throws PickleException {
        Object o = memo.get(index);
        if (o == null) throw fail(at, "memo entry " + index + " was never stored");
        return o;
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(int at, Object o) throws PickleException {
        if (!(o instanceof Map)) throw fail(at, "dict operation on a " + typeName(o));
        return (Map<Object, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(int at, Object o) throws PickleException {
        if (!(o instanceof ArrayList)) throw fail(at, "list operation on a " + typeName(o));
        return (List<Object>) o;
    }

    private void dictPut(int at, Map<Object, Object> d, Object key, Object value) throws PickleException {
        if (!(key instanceof String || key instanceof Long)) throw fail(at, "dict key of type " + typeName(key));
        d.put(key, value);
    }

    private int u8() throws PickleException {
        return need(in.position(), 1).get() & 0xFF;
    }

    private long u32(int at) throws PickleException {
        return need(at, 4).getInt() & 0xFFFFFFFFL;
    }

    /** The buffer, after checking that n more bytes are there. */
    private ByteBuffer need(int at, long n) throws PickleException {
        if (n > in.remaining()) throw fail(at, "needs " + n + " bytes but the pickle has " + in.remaining() + " left");
        return in;
    }

    private String string(int at, long length) throws PickleException {
        need(at, length);
        ByteBuffer bytes = in.slice().limit((int) length);
        in.position(in.position() + (int) length);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes).toString();
        } catch (CharacterCodingException e) {
            throw fail(at, "string is not valid UTF-8");
        }
    }

    /** A GLOBAL operand: bytes up to a newline, at most 256 of them. */
    private String line(int at) throws PickleException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (!in.hasRemaining() || sb.length() > 256) throw fail(at, "GLOBAL name without an end of line");
            char c = (char) (in.get() & 0xFF);
            if (c == '\n') return sb.toString();
            sb.append(c);
        }
    }

    /** LONG1: a little-endian two's-complement integer of n ≤ 8 bytes (torch's sizes and offsets fit a long). */
    private long long1(int at) throws PickleException {
        int n = u8();
        if (n > 8) throw fail(at, "LONG1 integer of " + n + " bytes does not fit 64 bits");
        need(at, n);
        long v = 0;
        for (int i = 0; i < n; i++) v |= (in.get() & 0xFFL) << (8 * i);
        if (n > 0 && n < 8 && (v & (1L << (8 * n - 1))) != 0) v -= 1L << (8 * n); // sign-extend
        return v;
    }

    private long nonNegative(int at, Object o, String what) throws PickleException {
        if (!(o instanceof Long v) || v < 0) throw fail(at, what + " " + describe(o) + " is not a non-negative integer");
        return v;
    }

    private long[] longs(int at, Object o, String what) throws PickleException {
        if (!(o instanceof Tuple t)) throw fail(at, "tensor " + what + " is a " + typeName(o) + ", not a tuple");
        long[] out = new long[t.size()];
        for (int i = 0; i < out.length; i++) out[i] = nonNegative(at, t.get(i), "tensor " + what + " entry");
        return out;
    }

    // ---------------------------------------------------------------- messages

    private PickleException fail(int at, String problem) {
        return new PickleException(problem + " (pickle byte " + at + ")");
    }

    private static String opcodeName(int op) {
        String name = OPCODE_NAMES[op];
        return String.format("0x%02x", op) + (name != null ? " (" + name + ")" : " (unknown)");
    }

    static String typeName(Object o) {
        if (o == null || o == NONE) return "None";
        if (o instanceof String) return "str";
        if (o instanceof Long) return "int";
        if (o instanceof Double) return "float";
        if (o instanceof Boolean) return "bool";
        if (o instanceof Tuple) return "tuple";
        if (o instanceof List) return "list";
        if (o instanceof Map) return "dict";
        if (o instanceof StorageRef) return "storage";
        if (o instanceof TensorRef) return "tensor";
        if (o instanceof StorageType t) return "torch." + t.pickleName;
        if (o instanceof Callable c) return c.name().toLowerCase(java.util.Locale.ROOT);
        return o.getClass().getSimpleName();
    }

    /**
     * A short description that never recurses into containers: a dict or list can hold itself, and a tuple can hold
     * such a list, so only strings, numbers and a tuple's direct items are spelled out.
     */
    static String describe(Object o) {
        String s;
        if (o instanceof Tuple t) {
            StringBuilder sb = new StringBuilder("(");
            for (int i = 0; i < t.size(); i++) sb.append(i > 0 ? ", " : "").append(scalar(t.get(i)));
            s = sb.append(t.size() == 1 ? ",)" : ")").toString();
        } else {
            s = scalar(o);
        }
        return printable(s.length() > 100 ? s.substring(0, 100) + "…" : s);
    }

    private static String scalar(Object o) {
        if (o instanceof String str) return "'" + (str.length() > 60 ? str.substring(0, 60) + "…" : str) + "'";
        if (o instanceof Boolean b) return b ? "True" : "False"; // as Python spells them
        if (o instanceof Long || o instanceof Double) return o.toString();
        return typeName(o);
    }

    /** Control characters escaped, so that a name from the file cannot break the one-line message. */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c < 0x20 || c == 0x7F) sb.append(String.format("\\x%02x", (int) c));
            else sb.append(c);
        }
        return sb.toString();
    }
}
