// A test call from the browser through Vapi's web SDK: microphone in, the assistant's voice out, the transcript
// reported line by line. The SDK posts to `${apiBaseUrl}/call/web` with the public key, then joins the audio room.
import React, { useEffect, useRef, useState } from "react";
import VapiModule from "@vapi-ai/web";

// The SDK is CommonJS: the production bundle hands over the module object, whose ``default`` is the class.
const Vapi = VapiModule.default || VapiModule;
import { Badge, Button, Flex, Text } from "@radix-ui/themes";

function errorText(error) {
  if (!error) return "";
  if (typeof error === "string") return error;
  const inner = error.error || error;
  return String(inner.message || inner.errorMsg || inner.msg || error.type || "error");
}

export function AvaWebCall({ publicKey, apiBaseUrl, assistantId, labels, onTranscript, onStatus }) {
  const vapiRef = useRef(null);
  const [status, setStatus] = useState("idle");

  useEffect(
    () => () => {
      if (vapiRef.current) vapiRef.current.stop();
      vapiRef.current = null;
    },
    [],
  );

  const report = (next, detail) => {
    setStatus(next);
    if (onStatus) onStatus(next, detail || "");
  };

  const start = async () => {
    if (!publicKey || !assistantId || status === "connecting" || status === "live") return;
    const vapi = new Vapi(publicKey, apiBaseUrl || undefined);
    vapiRef.current = vapi;
    vapi.on("call-start", () => report("live"));
    vapi.on("call-end", () => report("ended"));
    vapi.on("error", (error) => report("failed", errorText(error)));
    vapi.on("message", (message) => {
      if (message && message.type === "transcript" && message.transcriptType === "final" && onTranscript) {
        onTranscript(message.role === "user" ? "user" : "assistant", String(message.transcript || ""));
      }
    });
    report("connecting");
    try {
      const call = await vapi.start(assistantId);
      if (!call) report("failed", "");
    } catch (error) {
      report("failed", errorText(error));
    }
  };

  const stop = () => {
    if (vapiRef.current) vapiRef.current.stop();
  };

  const live = status === "live" || status === "connecting";
  const text = labels || {};
  return (
    <Flex gap="3" align="center" wrap="wrap">
      {live ? (
        <Button color="red" variant="soft" onClick={stop}>
          {text.stop || "Hang up"}
        </Button>
      ) : (
        <Button onClick={start}>{text.start || "Call from the browser"}</Button>
      )}
      {status === "connecting" && <Badge color="blue">{text.connecting || "Connecting…"}</Badge>}
      {status === "live" && <Badge color="green">{text.live || "On the call"}</Badge>}
      {status === "ended" && <Text size="2" color="gray">{text.ended || "Call ended."}</Text>}
    </Flex>
  );
}
