import { requireAdmin } from '../../services/authorization';
import { doctorMessage } from '../views/doctor';
import type { JobContext, JobOf } from './context';

/** `/vpn doctor`: every check, failures first. */
export async function doctor(context: JobContext, job: JobOf<'doctor'>): Promise<void> {
  await requireAdmin(context, job.actorId, 'run doctor');
  await context.reply(doctorMessage(await context.admin.doctor(context.probes)));
}
