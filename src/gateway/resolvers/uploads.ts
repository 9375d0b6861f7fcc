import { Arg, Ctx, FieldResolver, Int, Mutation, Resolver, Root } from 'type-graphql';
import type { AttachmentRecord } from '../../contracts/records';
import { uploadIdOf } from '../../contracts/uploads';
import { requireViewer, type Context } from '../context';
import { AttachmentType, UploadTicketType } from '../types';

@Resolver()
export class UploadResolver {
  @Mutation(() => UploadTicketType, {
    description: 'Starts a file upload of at most the service\'s size limit (BAD_USER_INPUT\nabove it); the bytes sent must match size and contentType.',
  })
  async createUpload(
    @Arg('name', () => String) name: string,
    @Arg('contentType', () => String) contentType: string,
    @Arg('size', () => Int) size: number,
    @Ctx() ctx: Context,
  ): Promise<UploadTicketType> {
    const viewer = requireViewer(ctx);
    return ctx.services.uploads.createTicket(viewer.userId, { name, contentType, size });
  }
}

/** An uploaded file's url is made for each reader at each read: a signed link that expires within minutes. */
@Resolver(() => AttachmentType)
export class AttachmentResolver {
  @FieldResolver(() => String, {
    description:
      'Where to fetch the file. For a file uploaded to this service (createUpload),\na link that works for members of the room only, for a limited time; read the\nmessage again for a fresh one.',
  })
  url(@Root() attachment: AttachmentRecord, @Ctx() ctx: Context): string {
    const uploadId = uploadIdOf(attachment.url);
    if (uploadId === null) return attachment.url;
    return ctx.services.uploads.downloadLink(uploadId, requireViewer(ctx).userId);
  }
}
